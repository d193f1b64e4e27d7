package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// programGateway serves the Gateway's HTTP listeners, points its Service at them and returns the
// Gateway's status.
func (c *controller) programGateway(ctx context.Context, gw *gateway, raw *unstructured.Unstructured, tables map[string]*listenerRoutes, attached map[string]int, wanted map[string]bool) (map[string]interface{}, error) {
	var listenerStatus []interface{}
	var servicePorts []corev1.ServicePort
	var endpointPorts []corev1.EndpointPort
	allProgrammed := true
	for _, l := range gw.Spec.Listeners {
		key := gw.Namespace + "/" + gw.Name + "/" + l.Name
		supported := l.Protocol == "HTTP"
		var conds []metav1.Condition
		if !supported {
			allProgrammed = false
			conds = []metav1.Condition{
				condition("Accepted", false, "UnsupportedProtocol", "only HTTP listeners are implemented"),
				condition("Programmed", false, "Invalid", "listener not served"),
				condition("ResolvedRefs", true, "ResolvedRefs", ""),
				condition("Conflicted", false, "NoConflicts", ""),
			}
		} else {
			served, err := c.serveListener(key, l.Port)
			if err != nil {
				return nil, err
			}
			wanted[key] = true
			served.routes.Store(sortedTable(tables[key]))
			servicePorts = append(servicePorts, corev1.ServicePort{Name: l.Name, Port: l.Port, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(int32(served.hostPort))})
			endpointPorts = append(endpointPorts, corev1.EndpointPort{Name: l.Name, Port: int32(served.hostPort), Protocol: corev1.ProtocolTCP})
			conds = []metav1.Condition{
				condition("Accepted", true, "Accepted", ""),
				condition("Programmed", true, "Programmed", fmt.Sprintf("served on %s:%d", c.bindAddress, served.hostPort)),
				condition("ResolvedRefs", true, "ResolvedRefs", ""),
				condition("Conflicted", false, "NoConflicts", ""),
			}
		}
		listenerStatus = append(listenerStatus, map[string]interface{}{
			"name":           l.Name,
			"attachedRoutes": int64(attached[key]),
			"supportedKinds": []interface{}{map[string]interface{}{"group": gatewayGroup, "kind": "HTTPRoute"}},
			"conditions":     conditionsFor(existingListenerConditions(raw, l.Name), gw.Generation, conds...),
		})
	}

	clusterIP, err := c.ensureService(ctx, gw, servicePorts, endpointPorts)
	if err != nil {
		return nil, err
	}
	status := map[string]interface{}{
		"listeners": listenerStatus,
		"conditions": conditions(raw, gw.Generation,
			condition("Accepted", true, "Accepted", ""),
			condition("Programmed", allProgrammed && clusterIP != "", programmedReason(allProgrammed && clusterIP != ""), "Service "+gatewayServiceName(gw.Name))),
	}
	if clusterIP != "" {
		status["addresses"] = []interface{}{map[string]interface{}{"type": "IPAddress", "value": clusterIP}}
	}
	return status, nil
}

func programmedReason(programmed bool) string {
	if programmed {
		return "Programmed"
	}
	return "Pending"
}

func sortedTable(table *listenerRoutes) *listenerRoutes {
	if table == nil {
		return &listenerRoutes{}
	}
	table.sortBySpecificity()
	return table
}

// serveListener binds a free port on the bind address for a listener, once; the Service maps the
// listener's port to it.
func (c *controller) serveListener(key string, port int32) (*servedListener, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if served, ok := c.listeners[key]; ok {
		served.port = port
		return served, nil
	}
	socket, err := net.Listen("tcp", net.JoinHostPort(c.bindAddress, "0"))
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", key, err)
	}
	served := &servedListener{port: port, hostPort: socket.Addr().(*net.TCPAddr).Port}
	served.server = &http.Server{
		Handler:           &listenerHandler{routes: served.routes.Load, transport: c.transport},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = served.server.Serve(socket) }()
	c.listeners[key] = served
	log.Printf("serving listener %s on %s", key, socket.Addr())
	return served, nil
}

func gatewayServiceName(gatewayName string) string {
	name := gatewayName + "-gateway"
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	return name
}

// ensureService keeps `<gateway>-gateway` (a Service without selector) and its Endpoints pointing
// at this host's listeners; both are owned by the Gateway, so they go when it goes. Endpoints,
// not only EndpointSlices, because the API server's service proxy reads Endpoints; the
// controller-manager mirrors them into EndpointSlices for kube-proxy.
func (c *controller) ensureService(ctx context.Context, gw *gateway, ports []corev1.ServicePort, endpointPorts []corev1.EndpointPort) (string, error) {
	name := gatewayServiceName(gw.Name)
	owner := metav1.OwnerReference{APIVersion: gatewayGroup + "/v1", Kind: "Gateway", Name: gw.Name, UID: gw.UID}
	labels := map[string]string{"gateway.networking.k8s.io/gateway-name": gw.Name, "app.kubernetes.io/managed-by": "model-canary-gateway"}
	if len(ports) == 0 {
		return "", nil
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	signature := fmt.Sprintf("%s %v %v", gw.UID, ports, endpointPorts)
	if anchor, err := c.pods.Pods(gw.Namespace).Get(name); err == nil {
		signature += fmt.Sprintf(" %s %s", anchor.UID, anchor.Status.PodIP)
	}
	key := gw.Namespace + "/" + gw.Name

	services := c.kubeClient.CoreV1().Services(gw.Namespace)
	existing, err := c.services.Services(gw.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		existing, err = services.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: gw.Namespace, Labels: labels, OwnerReferences: []metav1.OwnerReference{owner}},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: ports},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			existing, err = services.Get(ctx, name, metav1.GetOptions{})
		}
	}
	if err != nil {
		return "", fmt.Errorf("service %s: %w", name, err)
	}
	c.mu.Lock()
	upToDate := c.applied[key] == signature
	c.mu.Unlock()
	if upToDate {
		return existing.Spec.ClusterIP, nil
	}
	if !equality.Semantic.DeepEqual(existing.Spec.Ports, ports) {
		updated := existing.DeepCopy()
		updated.Spec.Ports = ports
		if existing, err = services.Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return "", fmt.Errorf("service %s: %w", name, err)
		}
	}
	anchor, err := c.ensureAnchorPod(ctx, gw, name, labels, owner)
	if err != nil || anchor == nil {
		return existing.Spec.ClusterIP, err // the anchor pod has no IP yet; its status update wakes us
	}
	endpoints := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: gw.Namespace, Labels: labels, OwnerReferences: []metav1.OwnerReference{owner}},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: c.bindAddress, TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: anchor.Namespace, Name: anchor.Name, UID: anchor.UID}}},
			Ports:     endpointPorts,
		}},
	}
	endpointsClient := c.kubeClient.CoreV1().Endpoints(gw.Namespace)
	current, err := endpointsClient.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = endpointsClient.Create(ctx, endpoints, metav1.CreateOptions{})
	case err == nil:
		current.Subsets = endpoints.Subsets
		current.Labels = labels
		current.OwnerReferences = endpoints.OwnerReferences
		_, err = endpointsClient.Update(ctx, current, metav1.UpdateOptions{})
	}
	if err != nil {
		return "", fmt.Errorf("endpoints %s: %w", name, err)
	}
	c.mu.Lock()
	c.applied[key] = signature
	c.mu.Unlock()
	return existing.Spec.ClusterIP, nil
}

// ensureAnchorPod keeps a host-network pod named like the Service in the Gateway's namespace and
// returns it once it has an IP. The API server's service proxy only forwards to endpoints that
// are pods of the Service's namespace; a host-network pod's IP is the node's, where this daemon
// serves the listener, so the pod makes the listener reachable through the proxy. The pod itself
// only runs the pause image.
func (c *controller) ensureAnchorPod(ctx context.Context, gw *gateway, name string, labels map[string]string, owner metav1.OwnerReference) (*corev1.Pod, error) {
	pod, err := c.pods.Pods(gw.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		var zero int64
		pod, err = c.kubeClient.CoreV1().Pods(gw.Namespace).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: gw.Namespace, Labels: labels, OwnerReferences: []metav1.OwnerReference{owner}},
			Spec: corev1.PodSpec{
				HostNetwork:                   true,
				TerminationGracePeriodSeconds: &zero,
				Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				Containers: []corev1.Container{{
					Name:  "anchor",
					Image: c.anchorImage,
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("1m"), corev1.ResourceMemory: resource.MustParse("4Mi"),
					}},
				}},
			},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("anchor pod %s: %w", name, err)
	}
	if pod.Status.PodIP != c.bindAddress {
		return nil, nil
	}
	return pod, nil
}

func (c *controller) writeRouteStatus(ctx context.Context, raw *unstructured.Unstructured, route *httpRoute, results []parentResult) {
	var parents []interface{}
	// Entries written by other implementations stay untouched.
	for _, entry := range route.Status.Parents {
		if entry["controllerName"] != c.controllerName {
			parents = append(parents, entry)
		}
	}
	existing := map[string][]interface{}{}
	for _, entry := range route.Status.Parents {
		if entry["controllerName"] == c.controllerName {
			ref, _ := entry["parentRef"].(map[string]interface{})
			conds, _ := entry["conditions"].([]interface{})
			existing[fmt.Sprint(ref["namespace"], "/", ref["name"], "/", ref["sectionName"])] = conds
		}
	}
	for _, result := range results {
		id := fmt.Sprint(result.ref["namespace"], "/", result.ref["name"], "/", result.ref["sectionName"])
		if _, ok := result.ref["sectionName"]; !ok {
			id = fmt.Sprint(result.ref["namespace"], "/", result.ref["name"], "/", nil)
		}
		parents = append(parents, map[string]interface{}{
			"parentRef":      result.ref,
			"controllerName": c.controllerName,
			"conditions": conditionsFor(existing[id], route.Generation,
				condition("Accepted", result.accepted, result.acceptedReason, result.acceptedMessage),
				condition("ResolvedRefs", result.resolved, result.resolvedReason, result.resolvedMessage)),
		})
	}
	if len(results) == 0 && len(parents) == len(route.Status.Parents) {
		return // neither ours before nor now
	}
	if parents == nil {
		parents = []interface{}{}
	}
	c.writeStatus(ctx, httpRoutesResource, raw, map[string]interface{}{"parents": parents})
}

func parentRefStatus(ref parentRef, namespace string) map[string]interface{} {
	out := map[string]interface{}{"group": gatewayGroup, "kind": "Gateway", "namespace": namespace, "name": ref.Name}
	if ref.SectionName != nil {
		out["sectionName"] = *ref.SectionName
	}
	if ref.Port != nil {
		out["port"] = int64(*ref.Port)
	}
	return out
}

// writeStatus replaces the object's status when it differs from what is stored.
func (c *controller) writeStatus(ctx context.Context, resource schema.GroupVersionResource, raw *unstructured.Unstructured, status map[string]interface{}) {
	normalized := map[string]interface{}{}
	// Round-trip through JSON-compatible types so the comparison sees what the server stores.
	if err := unstructuredCopy(status, &normalized); err != nil {
		log.Printf("status of %s %s: %v", resource.Resource, raw.GetName(), err)
		return
	}
	current, _, _ := unstructured.NestedMap(raw.Object, "status")
	if equality.Semantic.DeepEqual(current, normalized) {
		return
	}
	updated := raw.DeepCopy()
	updated.Object["status"] = normalized
	var err error
	if raw.GetNamespace() == "" {
		_, err = c.dynamicClient.Resource(resource).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	} else {
		_, err = c.dynamicClient.Resource(resource).Namespace(raw.GetNamespace()).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	}
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		log.Printf("status of %s %s/%s: %v", resource.Resource, raw.GetNamespace(), raw.GetName(), err)
	}
}
