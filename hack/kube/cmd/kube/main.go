// Command kube is one multi-call binary holding the Kubernetes components the local cluster runs.
// Linking them together (as hyperkube once did) compiles the shared dependency tree once, which
// matters on a two-core machine. The component is chosen by the name the binary is invoked as
// (a symlink such as kubectl) or, failing that, by the first argument: `kube apiserver --flags`.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	_ "time/tzdata" // CronJob time zones

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

// components maps every accepted name to a constructor; commands are built lazily because some
// constructors register process-wide state that only the chosen component should own.
var components = map[string]func() *cobra.Command{
	"kube-apiserver":          apiserver.NewAPIServerCommand,
	"kube-controller-manager": controllermanager.NewControllerManagerCommand,
	"kube-scheduler":          func() *cobra.Command { return scheduler.NewSchedulerCommand() },
	"kubelet":                 func() *cobra.Command { return kubelet.NewKubeletCommand(context.Background()) },
	"kube-proxy":              proxy.NewProxyCommand,
}

func main() {
	name, args := chooseComponent(os.Args)
	if name == "kubectl" {
		os.Args = append([]string{"kubectl"}, args...)
		runKubectl()
		return
	}
	newCommand, ok := components[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "usage: kube <component> [flags]\ncomponents: %s\n", strings.Join(componentNames(), ", "))
		os.Exit(2)
	}
	command := newCommand()
	command.SetArgs(args)
	os.Exit(cli.Run(command))
}

// chooseComponent accepts both `kube-apiserver` and `apiserver` spellings, as argv[0] or argv[1].
func chooseComponent(argv []string) (string, []string) {
	if name, ok := canonicalName(filepath.Base(argv[0])); ok {
		return name, argv[1:]
	}
	if len(argv) > 1 {
		if name, ok := canonicalName(argv[1]); ok {
			return name, argv[2:]
		}
	}
	return "", nil
}

func canonicalName(name string) (string, bool) {
	if name == "kubectl" {
		return name, true
	}
	for _, candidate := range []string{name, "kube-" + name} {
		if _, ok := components[candidate]; ok {
			return candidate, true
		}
	}
	return "", false
}

func componentNames() []string {
	names := []string{"kubectl"}
	for name := range components {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// runKubectl mirrors cmd/kubectl: verbosity is parsed before the command is built so that
// kubeconfig and plugin handling can already log at the requested level.
func runKubectl() {
	logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	command := kubectlcmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err)
	}
}
