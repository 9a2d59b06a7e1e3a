package infer

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"convnet/models"
)

// TestStepTimes prints the time of every step of an engine at 224×224
// (set CONVNET_STEPTIME=model[,threads[,batch]], batch 1 by default); it is
// a profiling aid and skips otherwise.
func TestStepTimes(t *testing.T) {
	spec := os.Getenv("CONVNET_STEPTIME")
	if spec == "" {
		t.Skip("set CONVNET_STEPTIME=model[,threads[,batch]]")
	}
	parts := strings.Split(spec, ",")
	threads := 1
	if len(parts) > 1 {
		threads, _ = strconv.Atoi(parts[1])
	}
	batch := 1
	if len(parts) > 2 {
		batch, _ = strconv.Atoi(parts[2])
	}
	shape := []int{max(batch, 1), 3, 224, 224}
	m := newModel(t, parts[0], models.Options{})
	eng, err := Compile(m, shape, &Options{Threads: threads, NoVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	e := eng.e
	x := input(shape, 3)
	eng.Run(x)
	const runs = 10
	best := make([]time.Duration, len(e.steps))
	for r := 0; r < runs; r++ {
		copy(e.in, x.Data())
		for i, s := range e.steps {
			t0 := time.Now()
			s.run(e.pool)
			d := time.Since(t0)
			if r == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	type row struct {
		name string
		d    time.Duration
	}
	var rows []row
	byKind := map[string]time.Duration{}
	var total time.Duration
	for i, s := range e.steps {
		name := fmt.Sprintf("%T", s)
		if c, ok := s.(*convStep); ok {
			name = fmt.Sprintf("conv %d→%d k%dx%d s%d g%d %dx%d dw=%v direct=%v", c.cin, c.cout, c.geom.KH, c.geom.KW, c.geom.SH, c.groups, c.geom.OH, c.geom.OW, c.depthwise, c.direct)
			kind := "conv-im2col"
			if c.depthwise {
				kind = "conv-dw"
			} else if c.direct {
				kind = "conv-1x1"
			}
			byKind[kind] += best[i]
		} else {
			byKind[fmt.Sprintf("%T", s)] += best[i]
		}
		rows = append(rows, row{fmt.Sprintf("%3d %s", i, name), best[i]})
		total += best[i]
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].d > rows[j].d })
	for _, r := range rows[:min(25, len(rows))] {
		t.Logf("%8.3f ms %s", r.d.Seconds()*1e3, r.name)
	}
	for k, d := range byKind {
		t.Logf("kind %-28s %8.3f ms", k, d.Seconds()*1e3)
	}
	t.Logf("total (sum of best) %.3f ms", total.Seconds()*1e3)
}
