package data_test

import (
	"fmt"

	"convnet/data"
	"convnet/tensor"
)

// ExampleLoader cuts a data set of five 1×2×2 images into batches of two.
func ExampleLoader() {
	ds := &data.Dataset{
		Name: "toy", N: 5, C: 1, H: 2, W: 2, NumClasses: 2,
		Images: make([]uint8, 5*4), // [N, C, H, W]
		Labels: []int{0, 1, 0, 1, 1},
	}
	l := data.NewLoader(ds, data.LoaderOptions{Batch: 2, Shuffle: true})
	ep := l.Epoch(tensor.NewRNG(1))
	defer ep.Close()
	fmt.Println(l.NumBatches(), "batches")
	for b, ok := ep.Next(); ok; b, ok = ep.Next() {
		fmt.Println(b.X.Shape(), len(b.Y))
	}
	// Output:
	// 3 batches
	// [2 1 2 2] 2
	// [2 1 2 2] 2
	// [1 1 2 2] 1
}
