package data

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Dataset is a labelled set of 8-bit images held in memory.
type Dataset struct {
	Name       string   // e.g. "mnist/train"
	Images     []uint8  // [N, C, H, W] raw pixel values 0..255
	Labels     []int    // [N] class indices in [0, NumClasses)
	N          int      // number of images
	C, H, W    int      // channels, height and width of one image
	NumClasses int      // number of classes
	ClassNames []string // [NumClasses] human-readable class names
	// Masks, when not nil, makes this a segmentation data set: one class
	// per pixel, [N, H, W], and Labels then only describe the images.
	Masks []uint8
}

// Standard file names of an IDX data set directory (MNIST layout). Each may
// also be present without the .gz suffix.
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

// idxFiles lists the four standard file names in a fixed order.
var idxFiles = []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// ImageSize returns the number of bytes of one image, C*H*W.
func (d *Dataset) ImageSize() int { return d.C * d.H * d.W }

// Image returns the pixels of image i as a [C, H, W] slice sharing storage
// with the data set.
func (d *Dataset) Image(i int) []uint8 {
	s := d.ImageSize()
	return d.Images[i*s : (i+1)*s]
}

// Mean returns the mean of x/255 over every pixel of the data set.
func (d *Dataset) Mean() float64 {
	m, _ := d.stats()
	return m
}

// Std returns the population standard deviation of x/255 over every pixel
// of the data set (numpy's default, ddof=0), as the training set statistics
// used for normalisation are computed by the PyTorch anchors.
func (d *Dataset) Std() float64 {
	_, s := d.stats()
	return s
}

// stats computes mean and population standard deviation of x/255 exactly,
// from a histogram of the 256 possible pixel values.
func (d *Dataset) stats() (mean, std float64) {
	var hist [256]int64
	for _, v := range d.Images {
		hist[v]++
	}
	n := float64(len(d.Images))
	if n == 0 {
		return 0, 0
	}
	for v, c := range hist {
		mean += float64(c) * float64(v) / 255
	}
	mean /= n
	var ss float64
	for v, c := range hist {
		dv := float64(v)/255 - mean
		ss += float64(c) * dv * dv
	}
	return mean, math.Sqrt(ss / n)
}

// findIDXFile returns the path of the standard file name in dir, accepting
// it with or without its .gz suffix.
func findIDXFile(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	raw := filepath.Join(dir, strings.TrimSuffix(name, ".gz"))
	if _, err := os.Stat(raw); err == nil {
		return raw, nil
	}
	return "", fmt.Errorf("%s: missing file: want %s or %s", dir, name, strings.TrimSuffix(name, ".gz"))
}

// hasIDXFiles reports whether dir holds all four standard files.
func hasIDXFiles(dir string) bool {
	for _, f := range idxFiles {
		if _, err := findIDXFile(dir, f); err != nil {
			return false
		}
	}
	return true
}

// checkIDXDir returns a one-line error if dir is missing, not a directory or
// lacks one of the four standard files; what names the data set in the
// message.
func checkIDXDir(dir, what string) error {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: data directory does not exist: want a directory holding the %s files %s", dir, what, strings.Join(idxFiles, ", "))
		}
		return fmt.Errorf("%s: cannot use data directory: %v", dir, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: not a directory: want a directory holding the %s files %s", dir, what, strings.Join(idxFiles, ", "))
	}
	for _, f := range idxFiles {
		if _, err := findIDXFile(dir, f); err != nil {
			return fmt.Errorf("%s (%s data set)", err, what)
		}
	}
	return nil
}

// LoadIDXDir loads the training and test sets from a directory holding the
// four standard IDX files (train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
// t10k-labels-idx1-ubyte.gz, each also accepted without .gz). name becomes
// the data sets' Name prefix and classNames fixes NumClasses. It checks that
// image and label counts agree, that every label is a valid class and that
// the training and test images have the same dimensions.
func LoadIDXDir(dir, name string, classNames []string) (train, test *Dataset, err error) {
	if err := checkIDXDir(dir, name); err != nil {
		return nil, nil, err
	}
	path := func(f string) string {
		p, _ := findIDXFile(dir, f)
		return p
	}
	train, err = LoadIDXPair(path(TrainImagesFile), path(TrainLabelsFile), name+"/train", classNames)
	if err != nil {
		return nil, nil, err
	}
	test, err = LoadIDXPair(path(TestImagesFile), path(TestLabelsFile), name+"/test", classNames)
	if err != nil {
		return nil, nil, err
	}
	if train.C != test.C || train.H != test.H || train.W != test.W {
		return nil, nil, fmt.Errorf("%s: test images are %d×%d×%d but training images (%s) are %d×%d×%d",
			path(TestImagesFile), test.C, test.H, test.W, path(TrainImagesFile), train.C, train.H, train.W)
	}
	return train, test, nil
}

// LoadIDXPair loads one data set from an IDX image file, [N, H, W] (one
// channel) or [N, C, H, W], and an IDX label file, [N]. NumClasses is
// len(classNames) and every label must be below it.
func LoadIDXPair(imagesPath, labelsPath, name string, classNames []string) (*Dataset, error) {
	img, err := ReadIDX(imagesPath)
	if err != nil {
		return nil, err
	}
	lab, err := ReadIDX(labelsPath)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Name: name, NumClasses: len(classNames), ClassNames: slices.Clone(classNames)}
	switch len(img.Dims) {
	case 3:
		d.N, d.C, d.H, d.W = img.Dims[0], 1, img.Dims[1], img.Dims[2]
	case 4:
		d.N, d.C, d.H, d.W = img.Dims[0], img.Dims[1], img.Dims[2], img.Dims[3]
	default:
		return nil, fmt.Errorf("%s: image IDX has dimensions %s, want [N, H, W] or [N, C, H, W]", imagesPath, dimString(img.Dims))
	}
	if d.C == 0 || d.H == 0 || d.W == 0 {
		return nil, fmt.Errorf("%s: image IDX has dimensions %s, want non-zero channels, height and width", imagesPath, dimString(img.Dims))
	}
	if len(lab.Dims) != 1 {
		return nil, fmt.Errorf("%s: label IDX has dimensions %s, want one dimension [N]", labelsPath, dimString(lab.Dims))
	}
	if lab.Dims[0] != d.N {
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels", imagesPath, d.N, labelsPath, lab.Dims[0])
	}
	d.Images = img.Data
	d.Labels = make([]int, d.N)
	for i, l := range lab.Data {
		if int(l) >= d.NumClasses {
			return nil, fmt.Errorf("%s: label %d at index %d is out of range, want 0 to %d (%d classes)", labelsPath, l, i, d.NumClasses-1, d.NumClasses)
		}
		d.Labels[i] = int(l)
	}
	return d, nil
}
