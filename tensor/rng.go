package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RNG is a seeded pseudo-random generator (PCG) whose complete state can be
// saved and restored, so that a resumed training run draws exactly the same
// numbers as an uninterrupted one. An RNG is not safe for concurrent use.
type RNG struct {
	src *rand.PCG
	r   *rand.Rand
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &RNG{src: src, r: rand.New(src)}
}

// MarshalBinary returns the generator's state.
func (g *RNG) MarshalBinary() ([]byte, error) { return g.src.MarshalBinary() }

// UnmarshalBinary restores a state produced by MarshalBinary.
func (g *RNG) UnmarshalBinary(b []byte) error {
	if err := g.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("tensor: restoring RNG state: %w", err)
	}
	return nil
}

// Uint64 returns a uniformly distributed 64-bit value.
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// Float64 returns a uniform value in [0, 1).
func (g *RNG) Float64() float64 { return g.r.Float64() }

// Float32 returns a uniform value in [0, 1).
func (g *RNG) Float32() float32 { return g.r.Float32() }

// NormFloat64 returns a standard normal value.
func (g *RNG) NormFloat64() float64 { return g.r.NormFloat64() }

// IntN returns a uniform value in [0, n).
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// Perm returns a uniformly random permutation of 0..n-1.
func (g *RNG) Perm(n int) []int { return g.r.Perm(n) }

// Split returns a new generator seeded from this one, for a consumer (such as
// a data loader) that needs an independent but reproducible stream. Split of
// a nil generator is nil.
func (g *RNG) Split() *RNG {
	if g == nil {
		return nil
	}
	return NewRNG(g.Uint64())
}

// Rand returns a tensor of the given shape with values uniform in [lo, hi).
func Rand(g *RNG, lo, hi float32, shape ...int) *Tensor {
	t := New(shape...)
	t.FillUniform(g, lo, hi)
	return t
}

// Randn returns a tensor of the given shape with normal values of the given
// mean and standard deviation.
func Randn(g *RNG, mean, std float32, shape ...int) *Tensor {
	t := New(shape...)
	t.FillNormal(g, mean, std)
	return t
}

// FillUniform overwrites t with values uniform in [lo, hi). A nil g leaves
// t unchanged (used to build models cheaply when only their shapes matter).
func (t *Tensor) FillUniform(g *RNG, lo, hi float32) {
	if g == nil {
		return
	}
	w := float64(hi) - float64(lo)
	for i := range t.data {
		t.data[i] = float32(float64(lo) + w*g.Float64())
	}
}

// FillNormal overwrites t with normal values of the given mean and standard
// deviation. A nil g leaves t unchanged.
func (t *Tensor) FillNormal(g *RNG, mean, std float32) {
	if g == nil {
		return
	}
	for i := range t.data {
		t.data[i] = float32(float64(mean) + float64(std)*g.NormFloat64())
	}
}

// FillTruncNormal overwrites t with normal values of the given mean and
// standard deviation, redrawn until they fall within [lo, hi]. A nil g
// leaves t unchanged.
func (t *Tensor) FillTruncNormal(g *RNG, mean, std, lo, hi float32) {
	if g == nil {
		return
	}
	for i := range t.data {
		for {
			v := float64(mean) + float64(std)*g.NormFloat64()
			if v >= float64(lo) && v <= float64(hi) && !math.IsNaN(v) {
				t.data[i] = float32(v)
				break
			}
		}
	}
}
