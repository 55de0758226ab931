package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes the computer a report was measured on.
type Machine struct {
	CPU       string // model name
	CPUs      int    // logical CPUs
	MemBytes  uint64 // 0 when unknown
	GoVersion string
	OS, Arch  string
	Load      string // the load average when the run started, "" when unknown
}

// readMachine describes this computer; cpu is the "cpu:" line of the
// benchmark output when there is one (the model as the test binary saw it).
func readMachine(ctx context.Context, cpu string) Machine {
	m := Machine{CPU: cpu, CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version()}
	if out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output(); err == nil {
		if v := strings.TrimSpace(string(out)); v != "" {
			m.GoVersion = v
		}
	}
	if m.CPU == "" {
		m.CPU = procField("/proc/cpuinfo", "model name")
	}
	if kb, err := strconv.ParseUint(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 10, 64); err == nil {
		m.MemBytes = kb * 1024
	}
	return m
}

// loadAverage returns the 1, 5 and 15 minute load averages, "" when unknown.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// procField returns the value of the first "name: value" line of a /proc
// file, "" when there is none.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return field(bufio.NewScanner(f), name)
}

func field(sc *bufio.Scanner, name string) string {
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// String describes the machine in one line.
func (m Machine) String() string {
	cpu := m.CPU
	if cpu == "" {
		cpu = "unknown CPU"
	}
	s := cpu + ", " + strconv.Itoa(m.CPUs) + " logical CPUs"
	if m.MemBytes > 0 {
		s += ", " + strconv.FormatFloat(float64(m.MemBytes)/(1<<30), 'f', 1, 64) + " GiB memory"
	}
	return s + ", " + m.OS + "/" + m.Arch + ", " + m.GoVersion
}
