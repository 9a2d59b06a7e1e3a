package ops

// SetPoisonRecycled sets poisonRecycled for the external tests and
// returns a function that restores it.
func SetPoisonRecycled(on bool) (restore func()) {
	old := poisonRecycled
	poisonRecycled = on
	return func() { poisonRecycled = old }
}
