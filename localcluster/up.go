package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

const (
	serviceCIDR = "192.168.0.0/16" // as ACK's default service CIDR; kube-dns is 192.168.0.10
	serviceIP   = "192.168.0.1"    // the `kubernetes` Service: the first address of serviceCIDR
	podCIDR     = "10.244.0.0/16"  // KWOK's fallback where a node has no spec.podCIDR
	// KWOK manages the nodes carrying this annotation, and only those.
	kwokNodeAnnotation = "kwok.x-k8s.io/node=fake"
)

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// child is one component: this binary run again with the component's name.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan error
}

func start(dataDir, name string, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dataDir, "logs", name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, append([]string{name}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	// A component never outlives the cluster: if `up` dies, the kernel ends its children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	c := &child{name: name, cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); log.Close() }()
	return c, nil
}

// stop asks the component to end (SIGTERM) and kills it after grace.
func (c *child) stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// waitHTTP polls url until it answers 200 or the component exits or time runs out.
func waitHTTP(ctx context.Context, c *child, client *http.Client, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case err := <-c.done:
			c.done <- err
			return fmt.Errorf("%s exited while starting (%v); see logs/%s.log", c.name, err, c.name)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %s (%s); see logs/%s.log", c.name, timeout, last, c.name)
}

// kwokConfig is KWOK's configuration: the upstream "fast" stages for nodes and pods.
func kwokConfig() string {
	return strings.Join([]string{
		nodefast.DefaultNodeInit,
		podfast.DefaultPodReady, podfast.DefaultPodComplete, podfast.DefaultPodDelete,
	}, "\n---\n")
}

func up(args []string) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "where the cluster's state, certificates, logs and kubeconfig live")
	host := fs.String("host", "127.0.0.1", "address the API server listens on")
	port := fs.Int("port", 6443, "the API server's port (0 picks a free one)")
	context := fs.String("context", "sandbox", "name of the context, cluster and user in the kubeconfig")
	var apiserverArgs repeated
	fs.Var(&apiserverArgs, "apiserver-arg", "an extra kube-apiserver flag, e.g. --watch-cache=false (repeatable)")
	var componentArgs repeated
	fs.Var(&componentArgs, "component-arg",
		"an extra flag of kube-controller-manager, kube-scheduler or kwok as NAME=FLAG, "+
			"e.g. kube-controller-manager=--kube-api-qps=500 (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "up: --data-dir is required")
		return 2
	}
	extra := map[string][]string{}
	for _, arg := range componentArgs {
		name, flagText, ok := strings.Cut(arg, "=")
		known := name == "kube-controller-manager" || name == "kube-scheduler" || name == "kwok"
		if !ok || !known || !strings.HasPrefix(flagText, "--") {
			fmt.Fprintf(os.Stderr, "up: --component-arg %q is not NAME=--flag with NAME kube-controller-manager, "+
				"kube-scheduler or kwok\n", arg)
			return 2
		}
		extra[name] = append(extra[name], flagText)
	}
	if err := run(*dataDir, *host, *port, *context, apiserverArgs, extra); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		return 1
	}
	return 0
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, " ") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func run(dataDir, host string, port int, contextName string, apiserverArgs []string, extra map[string][]string) error {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	for _, d := range []string{"logs", "etcd", "pki"} {
		if err := os.MkdirAll(filepath.Join(dataDir, d), 0o700); err != nil {
			return err
		}
	}
	kubeconfigPath := filepath.Join(dataDir, "kubeconfig")
	_ = os.Remove(kubeconfigPath) // written again once this start is ready
	hosts := []string{}
	if host != "" && host != "0.0.0.0" && host != "::" {
		hosts = append(hosts, host)
	}
	p, err := ensurePKI(filepath.Join(dataDir, "pki"), hosts)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if port == 0 {
		if port, err = freePort(); err != nil {
			return err
		}
	}
	ports := map[string]int{}
	for _, name := range []string{"etcd-client", "etcd-peer", "kube-controller-manager", "kube-scheduler"} {
		if ports[name], err = freePort(); err != nil {
			return err
		}
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	var running []*child
	defer func() {
		for i := len(running) - 1; i >= 0; i-- {
			running[i].stop(10 * time.Second)
		}
	}()
	launch := func(name string, args ...string) (*child, error) {
		c, err := start(dataDir, name, args...)
		if err == nil {
			running = append(running, c)
			fmt.Printf("%s: started\n", name)
		}
		return c, err
	}

	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports["etcd-client"])
	etcd, err := launch("etcd",
		"--data-dir", filepath.Join(dataDir, "etcd"),
		"--listen-client-url", etcdURL,
		"--listen-peer-url", "http://127.0.0.1:"+strconv.Itoa(ports["etcd-peer"]))
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, etcd, http.DefaultClient, etcdURL+"/health", 60*time.Second); err != nil {
		return err
	}
	// Where etcd answers, for tests that act on storage itself (e.g. a compaction).
	if err := os.WriteFile(filepath.Join(dataDir, "etcd-url"), []byte(etcdURL+"\n"), 0o600); err != nil {
		return err
	}

	pki := func(name string) string { return p.path(name) }
	apiserver, err := launch("kube-apiserver", append([]string{
		"--etcd-servers", etcdURL,
		"--bind-address", host,
		"--secure-port", strconv.Itoa(port),
		"--tls-cert-file", pki("apiserver.crt"),
		"--tls-private-key-file", pki("apiserver.key"),
		"--client-ca-file", pki("ca.crt"),
		"--authorization-mode", "Node,RBAC",
		"--enable-admission-plugins", "NodeRestriction",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", pki("sa.pub"),
		"--service-account-signing-key-file", pki("sa.key"),
		"--service-cluster-ip-range", serviceCIDR,
		"--allow-privileged",
		"--profiling=false",
	}, apiserverArgs...)...)
	if err != nil {
		return err
	}
	ca := x509.NewCertPool()
	caPEM, err := os.ReadFile(pki("ca.crt"))
	if err != nil {
		return err
	}
	ca.AppendCertsFromPEM(caPEM)
	admin, err := tls.LoadX509KeyPair(pki("admin.crt"), pki("admin.key"))
	if err != nil {
		return err
	}
	apiClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca, Certificates: []tls.Certificate{admin}},
	}}
	server := "https://" + net.JoinHostPort(advertised(host), strconv.Itoa(port))
	if err := waitHTTP(ctx, apiserver, apiClient, server+"/readyz", 120*time.Second); err != nil {
		return err
	}
	fmt.Printf("kube-apiserver: ready at %s\n", server)

	for _, name := range []string{"controller-manager", "scheduler", "kwok"} {
		if err := p.kubeconfig(pki(name+".kubeconfig"), name, server, name); err != nil {
			return err
		}
	}
	kwokConfigPath := filepath.Join(dataDir, "kwok.yaml")
	if err := os.WriteFile(kwokConfigPath, []byte(kwokConfig()), 0o644); err != nil {
		return err
	}
	components := [][]string{
		{"kube-controller-manager",
			"--kubeconfig", pki("controller-manager.kubeconfig"),
			"--authentication-kubeconfig", pki("controller-manager.kubeconfig"),
			"--authorization-kubeconfig", pki("controller-manager.kubeconfig"),
			"--bind-address", "127.0.0.1",
			"--secure-port", strconv.Itoa(ports["kube-controller-manager"]),
			"--leader-elect=false",
			"--use-service-account-credentials",
			"--service-account-private-key-file", pki("sa.key"),
			"--root-ca-file", pki("ca.crt"),
			"--cluster-signing-cert-file", pki("ca.crt"),
			"--cluster-signing-key-file", pki("ca.key"),
			"--service-cluster-ip-range", serviceCIDR,
			"--controllers", "*",
		},
		{"kube-scheduler",
			"--kubeconfig", pki("scheduler.kubeconfig"),
			"--authentication-kubeconfig", pki("scheduler.kubeconfig"),
			"--authorization-kubeconfig", pki("scheduler.kubeconfig"),
			"--bind-address", "127.0.0.1",
			"--secure-port", strconv.Itoa(ports["kube-scheduler"]),
			"--leader-elect=false",
		},
		{"kwok",
			"--kubeconfig", pki("kwok.kubeconfig"),
			"--config", kwokConfigPath,
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector", kwokNodeAnnotation,
			"--cidr", podCIDR,
			"--node-lease-duration-seconds", "40",
		},
	}
	for i, c := range components {
		components[i] = append(c, extra[c[0]]...)
	}
	for _, c := range components {
		if _, err := launch(c[0], c[1:]...); err != nil {
			return err
		}
	}
	if err := p.kubeconfig(kubeconfigPath, "admin", server, contextName); err != nil {
		return err
	}
	fmt.Printf("ready %s %s\n", server, kubeconfigPath)

	// Run until asked to stop; a component that ends by itself ends the cluster, visibly.
	failed := make(chan *child, len(running))
	for _, c := range running {
		go func(c *child) {
			err := <-c.done
			c.done <- err
			failed <- c
		}(c)
	}
	select {
	case <-ctx.Done():
		return nil
	case c := <-failed:
		err := <-c.done
		c.done <- err
		return fmt.Errorf("%s exited (%v); see %s", c.name, err, filepath.Join(dataDir, "logs", c.name+".log"))
	}
}

// advertised is the address clients use to reach a server bound to host.
func advertised(host string) string {
	if host == "" || host == "0.0.0.0" || host == "::" {
		return "127.0.0.1"
	}
	return host
}
