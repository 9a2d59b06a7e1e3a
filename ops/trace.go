package ops

import (
	"sync"
	"sync/atomic"

	"convnet/tensor"
)

// Recorder observes every op result computed while it is installed with
// Record: the hook that ONNX export uses to trace a model through the same
// ops that train and run it.
//
// RecordOp is called once per op, after its forward computation, with the
// op's name (Var.Op), its attributes, its output and its inputs in the order
// the op received them (a nil input stands for an absent optional operand,
// such as a missing bias). It may be called from any goroutine that runs
// ops while the recorder is installed, so an implementation must be safe for
// concurrent use and should ignore ops whose inputs it does not know.
//
// attrs is nil for ops whose behaviour their inputs' shapes fully define
// (relu, add, reshape, linear …). Otherwise it is:
//
//	conv2d               Conv2dOptions
//	conv_transpose2d     ConvTranspose2dOptions
//	max_pool2d           Pool2dOptions
//	avg_pool2d           Pool2dOptions
//	adaptive_avg_pool2d  [2]int{outH, outW}
//	BatchNorm            BatchNormAttrs
//	leaky_relu           float32 (the negative slope)
//	clip                 [2]float32{lo, hi}
//	scale                float32 (the factor)
//	concat               int (the axis, not negative)
//	Softmax, LogSoftmax  int (the axis as given; it may be negative)
//	lrn                  LRNAttrs
//	upsample2d           UpsampleOptions
type Recorder interface {
	RecordOp(op string, attrs any, out *Var, inputs []*Var)
}

// BatchNormAttrs are the attributes of a recorded BatchNorm op.
type BatchNormAttrs struct {
	RunningMean, RunningVar *tensor.Tensor // [C], nil without running statistics
	Training                bool           // batch statistics were used
	Momentum, Eps           float64
}

// LRNAttrs are the attributes of a recorded lrn op.
type LRNAttrs struct {
	Size           int
	Alpha, Beta, K float32
}

// recorderBox holds the installed recorder (atomic.Pointer needs a concrete
// type).
type recorderBox struct{ r Recorder }

var (
	recorder  atomic.Pointer[recorderBox]
	recording sync.Mutex // held while a recorder is installed
)

// Record installs r until the returned stop function is called. Only one
// recorder is installed at a time: Record waits until a previous one has
// been stopped. Calling stop more than once is harmless. The recorder sees
// the ops of every goroutine, so tracing while other goroutines run ops
// feeds it theirs too (a recorder should ignore ops on values it does not
// know, as export and infer do).
func Record(r Recorder) (stop func()) {
	recording.Lock()
	recorder.Store(&recorderBox{r})
	var once sync.Once
	return func() {
		once.Do(func() {
			recorder.Store(nil)
			recording.Unlock()
		})
	}
}

// record passes one op result to the installed recorder, if any.
func record(op string, attrs any, out *Var, inputs []*Var) {
	if b := recorder.Load(); b != nil {
		b.r.RecordOp(op, attrs, out, inputs)
	}
}
