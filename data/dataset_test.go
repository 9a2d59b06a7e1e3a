package data

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyDir writes a small IDX data set directory: 5 training and 3 test
// images of 1×3×2, labels < 4. With gz false the files are raw and named
// without .gz.
func tinyDir(t *testing.T, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	put := func(name string, dims []int, payload []byte) {
		b := idxBytes(dims, payload)
		if gz {
			b = gzipBytes(b)
		} else {
			name = strings.TrimSuffix(name, ".gz")
		}
		writeFile(t, dir, name, b)
	}
	put(TrainImagesFile, []int{5, 3, 2}, seq(30, 256))
	put(TrainLabelsFile, []int{5}, []byte{0, 1, 2, 3, 0})
	put(TestImagesFile, []int{3, 3, 2}, seq(18, 100))
	put(TestLabelsFile, []int{3}, []byte{3, 2, 1})
	return dir
}

var tinyClasses = []string{"a", "b", "c", "d"}

func TestLoadIDXDir(t *testing.T) {
	for _, gz := range []bool{true, false} {
		train, test, err := LoadIDXDir(tinyDir(t, gz), "tiny", tinyClasses)
		if err != nil {
			t.Fatal(err)
		}
		if train.N != 5 || train.C != 1 || train.H != 3 || train.W != 2 || len(train.Images) != 30 {
			t.Errorf("train: N %d C %d H %d W %d len %d", train.N, train.C, train.H, train.W, len(train.Images))
		}
		if test.N != 3 || test.Labels[0] != 3 || test.Name != "tiny/test" || test.NumClasses != 4 {
			t.Errorf("test: %+v", test)
		}
		if got := train.Image(1); got[0] != 6 || len(got) != 6 {
			t.Errorf("Image(1) = %v", got)
		}
	}
}

func TestMeanStd(t *testing.T) {
	d := &Dataset{Images: []uint8{0, 255, 51, 102, 0, 0, 7}}
	var s, ss float64
	for _, v := range d.Images {
		s += float64(v) / 255
	}
	mean := s / float64(len(d.Images))
	for _, v := range d.Images {
		ss += (float64(v)/255 - mean) * (float64(v)/255 - mean)
	}
	std := math.Sqrt(ss / float64(len(d.Images)))
	if math.Abs(d.Mean()-mean) > 1e-12 || math.Abs(d.Std()-std) > 1e-12 {
		t.Errorf("Mean, Std = %v, %v; want %v, %v", d.Mean(), d.Std(), mean, std)
	}
}

func TestLoadMismatchedCounts(t *testing.T) {
	dir := tinyDir(t, true)
	labels := writeFile(t, dir, TrainLabelsFile, gzipBytes(idxBytes([]int{4}, []byte{0, 1, 2, 3})))
	_, _, err := LoadIDXDir(dir, "tiny", tinyClasses)
	checkErr(t, err, filepath.Join(dir, TrainImagesFile), "5 images", labels, "4 labels")
}

func TestLoadLabelOutOfRange(t *testing.T) {
	dir := tinyDir(t, true)
	labels := writeFile(t, dir, TestLabelsFile, gzipBytes(idxBytes([]int{3}, []byte{0, 9, 1})))
	_, _, err := LoadIDXDir(dir, "tiny", tinyClasses)
	checkErr(t, err, labels, "label 9 at index 1", "0 to 3")
}

func TestLoadInconsistentDims(t *testing.T) {
	dir := tinyDir(t, true)
	images := writeFile(t, dir, TestImagesFile, gzipBytes(idxBytes([]int{3, 2, 3}, seq(18, 256))))
	_, _, err := LoadIDXDir(dir, "tiny", tinyClasses)
	checkErr(t, err, images, "1×2×3", "1×3×2")
}

func TestLoadBadLabelDims(t *testing.T) {
	dir := tinyDir(t, true)
	labels := writeFile(t, dir, TrainLabelsFile, gzipBytes(idxBytes([]int{5, 1}, seq(5, 2))))
	_, _, err := LoadIDXDir(dir, "tiny", tinyClasses)
	checkErr(t, err, labels, "5×1", "want one dimension")
}

func TestLoadMissingDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "does-not-exist")
	for _, name := range []string{"mnist", "fashion-mnist"} {
		_, _, err := Open(name, dir)
		checkErr(t, err, dir, "does not exist", TrainImagesFile)
	}
}

func TestLoadMissingFile(t *testing.T) {
	dir := tinyDir(t, true)
	os.Remove(filepath.Join(dir, TestLabelsFile))
	_, _, err := Open("mnist", dir)
	checkErr(t, err, dir, "missing file", TestLabelsFile, "t10k-labels-idx1-ubyte")
}

func TestLoadNotADirectory(t *testing.T) {
	f := writeFile(t, t.TempDir(), "file", []byte("x"))
	_, _, err := Open("fashion", f)
	checkErr(t, err, f, "not a directory")
}

func TestOpenUnknownName(t *testing.T) {
	_, _, err := Open("cifar-1000", "")
	checkErr(t, err, `"cifar-1000"`, "mnist", "fashion-mnist", "fashion")
}

func TestOpenWithDataDir(t *testing.T) {
	dir := tinyDir(t, false)
	// Tiny labels are < 4, valid for the 10 Fashion-MNIST classes.
	train, _, err := Open("Fashion", dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.ClassNames[9] != "Ankle boot" || train.Name != "fashion-mnist/train" {
		t.Errorf("got %q, %q", train.ClassNames, train.Name)
	}
}

func TestFashionMNISTMissing(t *testing.T) {
	old := fashionSystemDir
	fashionSystemDir = filepath.Join(t.TempDir(), "fashion-mnist")
	defer func() { fashionSystemDir = old }()
	_, err := FashionMNISTDir("")
	checkErr(t, err, fashionSystemDir, "apt-get install dataset-fashion-mnist", "--data-dir")
}

func TestRealFashionMNIST(t *testing.T) {
	// test.sh installs Debian's dataset-fashion-mnist; without it this fails
	// with Open's message saying how to get the files.
	if testing.Short() {
		t.Skip("-short: skipping the real Fashion-MNIST files")
	}
	train, test, err := Open("fashion-mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 || train.H != 28 || train.W != 28 || train.C != 1 {
		t.Errorf("got train %d test %d of %d×%d×%d", train.N, test.N, train.C, train.H, train.W)
	}
	t.Logf("Fashion-MNIST train mean %.6f std %.6f", train.Mean(), train.Std())
}
