// Command fake-gpu-device-plugin advertises N pretend GPUs to the kubelet through the real
// device-plugin API (k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1), the way NVIDIA's plugin does
// on real GPU nodes. The kubelet then counts, allocates and releases them like any extended
// resource, so GPU requests, limits and scheduling failures are exercised for real; the containers
// run on CPU and see NVIDIA_VISIBLE_DEVICES set to the device IDs they were given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	pluginapi "k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1"
)

func main() {
	resourceName := flag.String("resource-name", "nvidia.com/gpu", "extended resource the devices are advertised as")
	deviceCount := flag.Int("devices", 4, "number of fake devices")
	pluginDir := flag.String("plugin-dir", pluginapi.DevicePluginPath, "the kubelet's device-plugin directory")
	socketName := flag.String("socket-name", "model-canary-fake-gpu.sock", "socket file this plugin serves in plugin-dir")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	plugin := &fakeGPUPlugin{devices: fakeDevices(*deviceCount)}
	socketPath := filepath.Join(*pluginDir, *socketName)
	kubeletSocket := filepath.Join(*pluginDir, filepath.Base(pluginapi.KubeletSocket))
	for ctx.Err() == nil {
		if err := serveUntilKubeletRestarts(ctx, plugin, socketPath, kubeletSocket, *resourceName); err != nil {
			log.Printf("device plugin: %v; retrying in 2s", err)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}
	_ = os.Remove(socketPath)
}

// serveUntilKubeletRestarts serves the plugin socket and registers it. A restarting kubelet wipes
// the plugin directory and forgets its plugins, so when our socket vanishes or the kubelet's
// socket is replaced, it returns and the caller serves and registers again.
func serveUntilKubeletRestarts(ctx context.Context, plugin *fakeGPUPlugin, socketPath, kubeletSocket, resourceName string) error {
	kubeletIdentity, err := waitForSocket(ctx, kubeletSocket)
	if err != nil {
		return err
	}
	if err := os.Remove(socketPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	listener, err := net.Listen("unix", socketPath)
	if err != nil {
		return err
	}
	server := grpc.NewServer()
	pluginapi.RegisterDevicePluginServer(server, plugin)
	go func() { _ = server.Serve(listener) }()
	defer server.Stop()

	if err := register(ctx, kubeletSocket, filepath.Base(socketPath), resourceName); err != nil {
		return fmt.Errorf("registering with the kubelet: %w", err)
	}
	log.Printf("registered %d devices as %s on %s", len(plugin.devices), resourceName, socketPath)

	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			if _, err := os.Stat(socketPath); err != nil {
				return fmt.Errorf("plugin socket removed (kubelet restarted?)")
			}
			if current, err := os.Stat(kubeletSocket); err != nil || !os.SameFile(current, kubeletIdentity) {
				return fmt.Errorf("kubelet socket replaced (kubelet restarted)")
			}
		}
	}
}

func waitForSocket(ctx context.Context, path string) (os.FileInfo, error) {
	for {
		if info, err := os.Stat(path); err == nil {
			return info, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func register(ctx context.Context, kubeletSocket, endpoint, resourceName string) error {
	conn, err := grpc.NewClient("unix://"+kubeletSocket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = pluginapi.NewRegistrationClient(conn).Register(callCtx, &pluginapi.RegisterRequest{
		Version:      pluginapi.Version,
		Endpoint:     endpoint,
		ResourceName: resourceName,
		Options:      &pluginapi.DevicePluginOptions{},
	})
	return err
}

// fakeDevices names devices like NVIDIA's UUIDs so that logs and env vars look familiar.
func fakeDevices(count int) []*pluginapi.Device {
	devices := make([]*pluginapi.Device, 0, count)
	for i := 0; i < count; i++ {
		devices = append(devices, &pluginapi.Device{
			ID:     fmt.Sprintf("GPU-fake0000-0000-0000-0000-%012d", i),
			Health: pluginapi.Healthy,
		})
	}
	return devices
}

type fakeGPUPlugin struct {
	pluginapi.UnimplementedDevicePluginServer
	devices []*pluginapi.Device
}

func (p *fakeGPUPlugin) GetDevicePluginOptions(context.Context, *pluginapi.Empty) (*pluginapi.DevicePluginOptions, error) {
	return &pluginapi.DevicePluginOptions{}, nil
}

// ListAndWatch sends the device list once; fake devices never change health, so the stream then
// stays open until the kubelet closes it.
func (p *fakeGPUPlugin) ListAndWatch(_ *pluginapi.Empty, stream pluginapi.DevicePlugin_ListAndWatchServer) error {
	if err := stream.Send(&pluginapi.ListAndWatchResponse{Devices: p.devices}); err != nil {
		return err
	}
	<-stream.Context().Done()
	return nil
}

func (p *fakeGPUPlugin) Allocate(_ context.Context, request *pluginapi.AllocateRequest) (*pluginapi.AllocateResponse, error) {
	response := &pluginapi.AllocateResponse{}
	for _, container := range request.ContainerRequests {
		ids := strings.Join(container.DevicesIds, ",")
		log.Printf("allocating %s", ids)
		response.ContainerResponses = append(response.ContainerResponses, &pluginapi.ContainerAllocateResponse{
			Envs: map[string]string{"NVIDIA_VISIBLE_DEVICES": ids},
		})
	}
	return response, nil
}

func (p *fakeGPUPlugin) PreStartContainer(context.Context, *pluginapi.PreStartContainerRequest) (*pluginapi.PreStartContainerResponse, error) {
	return &pluginapi.PreStartContainerResponse{}, nil
}
