package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// MNISTClassNames are the class names of MNIST, the digits 0 to 9.
var MNISTClassNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// FashionMNISTClassNames are the class names of Fashion-MNIST, in label
// order.
var FashionMNISTClassNames = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// FashionMNISTSystemDir is where Debian's dataset-fashion-mnist package
// installs the Fashion-MNIST IDX files.
const FashionMNISTSystemDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTDir returns a directory holding the four Fashion-MNIST IDX
// files: dataDir when it is not empty (it must hold them), else
// FashionMNISTSystemDir.
func FashionMNISTDir(dataDir string) (string, error) {
	if dataDir != "" {
		return dataDir, checkIDXDir(dataDir, "Fashion-MNIST")
	}
	dir := fashionSystemDir
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: Fashion-MNIST not found: install it with `apt-get install dataset-fashion-mnist`, or put the four files %s in a directory and pass it with --data-dir",
			dir, strings.Join(idxFiles, ", "))
	}
	return dir, checkIDXDir(dir, "Fashion-MNIST")
}

// fashionSystemDir is FashionMNISTSystemDir, replaceable by tests.
var fashionSystemDir = FashionMNISTSystemDir

// datasetNames lists the names Open accepts, canonical names first.
var datasetNames = []string{"mnist", "fashion-mnist", "mnist-seg", "fashion-mnist-seg", "fashion"}

// Open loads the training and test sets of the named data set: "mnist" or
// "fashion-mnist" (alias "fashion"). dataDir, when not empty, is the
// directory holding the four IDX files and overrides the default location
// (see MNISTDir and FashionMNISTDir).
func Open(name, dataDir string) (train, test *Dataset, err error) {
	lname := strings.ToLower(name)
	if base, ok := strings.CutSuffix(lname, "-seg"); ok && base != "" {
		tr, te, err := Open(base, dataDir)
		if err != nil {
			return nil, nil, err
		}
		th := segThreshold[base]
		return Segmentation(tr, th), Segmentation(te, th), nil
	}
	switch lname {
	case "mnist":
		dir, err := MNISTDir(dataDir)
		if err != nil {
			return nil, nil, err
		}
		return LoadIDXDir(dir, "mnist", MNISTClassNames)
	case "fashion-mnist", "fashion":
		dir, err := FashionMNISTDir(dataDir)
		if err != nil {
			return nil, nil, err
		}
		return LoadIDXDir(dir, "fashion-mnist", FashionMNISTClassNames)
	}
	return nil, nil, fmt.Errorf("unknown data set %q: known data sets are %s", name, strings.Join(datasetNames, ", "))
}
