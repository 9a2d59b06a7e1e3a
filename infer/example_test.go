package infer_test

import (
	"fmt"

	"convnet/infer"
	"convnet/models"
	"convnet/tensor"
)

// Compile a LeNet-5 for batches of one 28×28 image and run it.
func Example() {
	m, err := models.New("lenet5", tensor.NewRNG(1), models.Options{})
	if err != nil {
		panic(err)
	}
	eng, err := infer.Compile(m, []int{1, 1, 28, 28}, nil)
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	logits := eng.Run(tensor.New(1, 1, 28, 28)) // a view, valid until the next Run
	fmt.Println(logits.Shape(), eng.Graph().OpCounts()["conv2d"])
	// Output: [1 10] 2
}
