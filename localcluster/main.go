// Command localcluster runs the upstream Kubernetes control plane with KWOK nodes.
//
// It is one binary for every component (as k3s is), so that the large compile is shared:
// `localcluster up` starts the cluster, spawning this same binary once per component
// (`localcluster etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok ...`).
// Only upstream code serves the API; this module adds the wiring and nothing else.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: localcluster up|etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok [flags]")
		os.Exit(2)
	}
	name, args := os.Args[1], os.Args[2:]
	component, ok := components[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "localcluster: unknown command %q\n", name)
		os.Exit(2)
	}
	os.Exit(component(args))
}
