package data

// segThreshold is the pixel value from which a pixel counts as foreground
// when a classification data set is turned into a segmentation one: MNIST's
// strokes are bright, Fashion-MNIST's garments are often dark grey.
var segThreshold = map[string]uint8{"mnist": 128, "fashion-mnist": 32, "fashion": 32}

// Segmentation turns a single-channel classification data set into a
// segmentation one: every pixel at least threshold (0 means 128) is
// labelled with the image's class + 1, every other pixel 0 (background). The
// result has NumClasses+1 classes and shares the images with ds.
func Segmentation(ds *Dataset, threshold uint8) *Dataset {
	if threshold == 0 {
		threshold = 128
	}
	hw := ds.H * ds.W
	out := *ds
	out.Name = ds.Name + "-seg"
	out.NumClasses = ds.NumClasses + 1
	out.ClassNames = append([]string{"background"}, ds.ClassNames...)
	out.Masks = make([]uint8, ds.N*hw) // [N, H, W]
	size := ds.ImageSize()
	for i := 0; i < ds.N; i++ {
		img := ds.Images[i*size : i*size+hw] // first channel
		mask := out.Masks[i*hw : (i+1)*hw]
		cls := uint8(ds.Labels[i] + 1)
		for p, v := range img {
			if v >= threshold {
				mask[p] = cls
			}
		}
	}
	return &out
}
