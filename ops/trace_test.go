package ops

import (
	"sync"
	"testing"

	"convnet/tensor"
)

// opLog is a Recorder that keeps the names and attributes it receives.
type opLog struct {
	mu    sync.Mutex
	ops   []string
	attrs []any
}

func (l *opLog) RecordOp(op string, attrs any, out *Var, inputs []*Var) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, op)
	l.attrs = append(l.attrs, attrs)
}

func TestRecordSeesOpsAndAttributes(t *testing.T) {
	x := Const(tensor.Full(1, 1, 2, 4, 4))
	w := Param(tensor.Full(0.5, 3, 2, 3, 3))
	log := &opLog{}
	stop := Record(log)
	y := Conv2d(x, w, nil, Conv2dOptions{Padding: SymmetricPadding(1, 1)})
	y = MaxPool2d(ReLU(y), Pool2dOptions{Kernel: [2]int{2, 2}})
	_ = LeakyReLU(y, 0.25)
	stop()
	stop()      // harmless
	_ = ReLU(x) // not recorded any more

	want := []string{"conv2d", "relu", "max_pool2d", "leaky_relu"}
	if len(log.ops) != len(want) {
		t.Fatalf("recorded %v, want %v", log.ops, want)
	}
	for i, op := range want {
		if log.ops[i] != op {
			t.Fatalf("recorded %v, want %v", log.ops, want)
		}
	}
	if o, ok := log.attrs[0].(Conv2dOptions); !ok || o.Padding != SymmetricPadding(1, 1) {
		t.Errorf("conv2d attrs %#v", log.attrs[0])
	}
	if log.attrs[1] != nil {
		t.Errorf("relu attrs %#v, want nil", log.attrs[1])
	}
	if o, ok := log.attrs[2].(Pool2dOptions); !ok || o.Kernel != [2]int{2, 2} {
		t.Errorf("max_pool2d attrs %#v", log.attrs[2])
	}
	if s, ok := log.attrs[3].(float32); !ok || s != 0.25 {
		t.Errorf("leaky_relu attrs %#v", log.attrs[3])
	}
}

func TestRecordUnderNoGrad(t *testing.T) {
	defer NoGrad()()
	log := &opLog{}
	stop := Record(log)
	defer stop()
	_ = Sigmoid(Const(tensor.New(2)))
	if len(log.ops) != 1 || log.ops[0] != "sigmoid" {
		t.Fatalf("recorded %v under NoGrad, want [sigmoid]", log.ops)
	}
}
