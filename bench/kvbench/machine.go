package kvbench

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where a run happened, for the table's header.
type Machine struct {
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	DataDir    string `json:"data_dir"`
	Filesystem string `json:"filesystem"`
}

// Describe reports the machine and the filesystem that holds dir.
func Describe(dir string) Machine {
	m := Machine{
		CPUs:       runtime.NumCPU(),
		CPUModel:   "unknown",
		Kernel:     runtime.GOOS,
		Go:         runtime.Version(),
		DataDir:    dir,
		Filesystem: filesystem(dir),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

// loadAverage returns the 1-, 5- and 15-minute load averages (-1 where
// the system does not expose them).
func loadAverage() [3]float64 {
	out := [3]float64{-1, -1, -1}
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		if v, err := strconv.ParseFloat(f[i], 64); err == nil {
			out[i] = v
		}
	}
	return out
}

// LoadAverage is loadAverage for the command's header.
func LoadAverage() [3]float64 { return loadAverage() }

// cpuSample is the machine's busy CPU time and this process's own CPU time
// at one instant; two samples give the share of the machine that other
// processes used between them, which says whether a cell was measured on a
// quiet machine better than the load average does (the load average counts
// this benchmark's own goroutines too).
type cpuSample struct {
	at         time.Time
	busy, self time.Duration
	ok         bool
}

// clockTick is USER_HZ, the unit of /proc/stat (100 on every Linux
// configuration Go supports).
const clockTick = 10 * time.Millisecond

func readCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return s
	}
	// user nice system idle iowait irq softirq steal: busy is all but idle
	// and iowait.
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s
		}
		s.busy += time.Duration(n) * clockTick
	}
	self, ok := selfCPU()
	s.self, s.ok = self, ok
	return s
}

// othersShare is the fraction (0..1) of all CPUs that processes other than
// this one kept busy between a and b, -1 where unknown.
func othersShare(a, b cpuSample) float64 {
	if !a.ok || !b.ok {
		return -1
	}
	wall := b.at.Sub(a.at).Seconds() * float64(runtime.NumCPU())
	if wall <= 0 {
		return -1
	}
	others := (b.busy - a.busy - (b.self - a.self)).Seconds()
	return math.Max(0, others/wall)
}
