package data

import (
	"fmt"
	"runtime"
	"sync"

	"convnet/tensor"
)

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	Batch    int  // images per batch; must be positive
	Shuffle  bool // draw a new order of the images every epoch
	DropLast bool // drop the last batch when it is smaller than Batch
	// Mean and Std normalise the pixels: a byte x becomes
	// (x/255 - Mean) / Std, computed in float32. A zero Std means 1, so the
	// zero options give x/255.
	Mean, Std float32
}

// Loader cuts a Dataset into batches of normalised float32 tensors. One
// Loader may serve any number of epochs, one after the other or at once.
type Loader struct {
	ds   *Dataset
	opts LoaderOptions
	lut  [256]float32 // normalised value of each byte
}

// NewLoader returns a loader over ds. It panics if opts.Batch is not
// positive, a programming error.
func NewLoader(ds *Dataset, opts LoaderOptions) *Loader {
	if opts.Batch <= 0 {
		panic(fmt.Sprintf("data: NewLoader(%s): batch size %d, want > 0", ds.Name, opts.Batch))
	}
	std := opts.Std
	if std == 0 {
		std = 1
	}
	l := &Loader{ds: ds, opts: opts}
	for v := range l.lut {
		l.lut[v] = (float32(v)/255 - opts.Mean) / std
	}
	return l
}

// NumBatches returns the number of batches in one epoch.
func (l *Loader) NumBatches() int {
	n, b := l.ds.N, l.opts.Batch
	if l.opts.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Batch is one batch of images and their labels.
type Batch struct {
	X     *tensor.Tensor // [B, C, H, W] normalised pixels
	Y     []int          // [B] labels, or [B, H, W] pixel classes for segmentation
	Index []int          // [B] positions of the images in the Dataset
}

// Epoch is one pass over a data set, produced by Loader.Epoch. A background
// goroutine prepares the next batch while the caller works on the current
// one. An Epoch is not safe for concurrent use; call Close when abandoning
// it before the end (defer ep.Close() is the usual idiom).
type Epoch struct {
	ch     <-chan Batch
	stop   *stopper
	exited <-chan struct{}
	closed bool
}

// stopper tells the producer goroutine to stop; it is shared with a cleanup
// so that an Epoch dropped without Close still ends its goroutine.
type stopper struct {
	once sync.Once
	done chan struct{}
}

// signal closes the done channel once.
func (s *stopper) signal() { s.once.Do(func() { close(s.done) }) }

// Epoch starts a pass over the data set. When the loader shuffles, the order
// is drawn from rng here, before Epoch returns, so that rng's state
// afterwards depends only on its state before; rng may be nil when the
// loader does not shuffle. The batches are then prepared by one background
// goroutine, one batch ahead of the caller.
func (l *Loader) Epoch(rng *tensor.RNG) *Epoch {
	var order []int
	if l.opts.Shuffle {
		if rng == nil {
			panic(fmt.Sprintf("data: Loader(%s).Epoch: shuffling needs an RNG, got nil", l.ds.Name))
		}
		order = rng.Perm(l.ds.N)
	} else {
		order = make([]int, l.ds.N)
		for i := range order {
			order[i] = i
		}
	}
	ch := make(chan Batch, 1)
	exited := make(chan struct{})
	s := &stopper{done: make(chan struct{})}
	go l.produce(order, ch, s.done, exited)
	e := &Epoch{ch: ch, stop: s, exited: exited}
	runtime.AddCleanup(e, func(s *stopper) { s.signal() }, s)
	return e
}

// produce sends the batches of order on ch until they are exhausted or done
// is closed, then closes ch and exited.
func (l *Loader) produce(order []int, ch chan<- Batch, done <-chan struct{}, exited chan<- struct{}) {
	defer close(exited)
	defer close(ch)
	for k := range l.NumBatches() {
		lo := k * l.opts.Batch
		hi := min(lo+l.opts.Batch, len(order))
		b := l.makeBatch(order[lo:hi:hi])
		select {
		case ch <- b:
		case <-done:
			return
		}
	}
}

// makeBatch gathers and normalises the images at the given positions.
func (l *Loader) makeBatch(idx []int) Batch {
	ds := l.ds
	size := ds.ImageSize()
	x := make([]float32, len(idx)*size) // [B, C, H, W]
	y := make([]int, len(idx))
	if ds.Masks != nil {
		y = make([]int, len(idx)*ds.H*ds.W) // [B, H, W] per-pixel classes
	}
	for j, i := range idx {
		dst := x[j*size : (j+1)*size]
		for p, v := range ds.Images[i*size : (i+1)*size] {
			dst[p] = l.lut[v]
		}
		if ds.Masks != nil {
			hw := ds.H * ds.W
			for p, v := range ds.Masks[i*hw : (i+1)*hw] {
				y[j*hw+p] = int(v)
			}
		} else {
			y[j] = ds.Labels[i]
		}
	}
	return Batch{X: tensor.FromSlice(x, len(idx), ds.C, ds.H, ds.W), Y: y, Index: idx}
}

// Next returns the next batch, or false when the epoch is over or closed.
// Each batch is newly allocated and may be kept.
func (e *Epoch) Next() (Batch, bool) {
	if e.closed {
		return Batch{}, false
	}
	b, ok := <-e.ch
	return b, ok
}

// Close stops the background goroutine and waits for it to end. It may be
// called more than once, and after the last batch.
func (e *Epoch) Close() {
	e.closed = true
	e.stop.signal()
	<-e.exited
}
