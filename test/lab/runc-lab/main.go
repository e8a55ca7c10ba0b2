// runc-lab: a runc wrapper for sandboxes whose capability bounding set lacks
// CAP_SYS_RESOURCE (as the development machines' does). A privileged container asks
// for every capability, and runc fails with "unable to apply caps". This wrapper deletes
// that one capability from the OCI bundle's config.json (create, run) or from the
// --process file (exec), then runs the real runc from PATH with the same arguments. It also
// widens device rules that allow all character and block devices into one rule for all
// devices (widenDevices). The lab uses it only where privileged containers fail; it is test
// infrastructure.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

const dropped = "CAP_SYS_RESOURCE"

// flagValue returns the value of --name or -short in args ("--name v" or "--name=v").
func flagValue(args []string, names ...string) (string, bool) {
	for i, arg := range args {
		for _, name := range names {
			if arg == name && i+1 < len(args) {
				return args[i+1], true
			}
			if strings.HasPrefix(arg, name+"=") {
				return strings.TrimPrefix(arg, name+"="), true
			}
		}
	}
	return "", false
}

// command is the first argument that names a runc command.
func command(args []string) string {
	for _, arg := range args {
		switch arg {
		case "create", "run", "exec":
			return arg
		}
	}
	return ""
}

func withoutCap(list []any) []any {
	kept := list[:0]
	for _, c := range list {
		if c != dropped {
			kept = append(kept, c)
		}
	}
	return kept
}

// stripCaps removes the capability from every set of a process object, in place.
func stripCaps(process map[string]any) {
	caps, ok := process["capabilities"].(map[string]any)
	if !ok {
		return
	}
	for set, value := range caps {
		if list, ok := value.([]any); ok {
			caps[set] = withoutCap(list)
		}
	}
}

// widenDevices turns device rules that allow every character and every block device (what
// Dagger's insecureRootCapabilities grants) into one rule allowing all devices, as docker
// --privileged has it. On a cgroup v1 host a container can grant its own children only what its
// devices cgroup allows, and a privileged child (Kind's node, inside a Dagger service's
// dockerd) asks for "a *:* rwm", which "c" and "b" rules do not cover.
func widenDevices(doc map[string]any) {
	linux, _ := doc["linux"].(map[string]any)
	resources, _ := linux["resources"].(map[string]any)
	rules, _ := resources["devices"].([]any)
	all := map[string]bool{}
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		if rule["allow"] == true && rule["access"] == "rwm" && rule["major"] == nil && rule["minor"] == nil {
			all[fmt.Sprint(rule["type"])] = true
		}
	}
	if all["c"] && all["b"] {
		resources["devices"] = []any{map[string]any{"allow": true, "access": "rwm"}}
	}
}

func rewrite(path string, process func(doc map[string]any) map[string]any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if p := process(doc); p != nil {
		stripCaps(p)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

func main() {
	args := os.Args[1:]
	var err error
	switch command(args) {
	case "create", "run":
		bundle, ok := flagValue(args, "--bundle", "-b")
		if !ok {
			bundle, _ = os.Getwd()
		}
		err = rewrite(filepath.Join(bundle, "config.json"), func(doc map[string]any) map[string]any {
			widenDevices(doc)
			p, _ := doc["process"].(map[string]any)
			return p
		})
	case "exec":
		if file, ok := flagValue(args, "--process", "-p"); ok {
			err = rewrite(file, func(doc map[string]any) map[string]any { return doc })
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "runc-lab: %v\n", err)
		os.Exit(1)
	}
	// Installed as runc itself (the Dagger engine runs /usr/local/bin/runc, whatever its flags
	// say), the wrapper finds the real one as runc.real.
	real, err := exec.LookPath("runc.real")
	if err != nil {
		real, err = exec.LookPath("runc")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "runc-lab: the real runc (runc.real or runc) is not on PATH: %v\n", err)
		os.Exit(1)
	}
	if err := syscall.Exec(real, append([]string{real}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-lab: exec %s: %v\n", real, err)
		os.Exit(1)
	}
}
