// Command model-canary-gateway is a small, real Gateway API implementation for the local cluster:
// it programs Gateways of the GatewayClass whose controllerName is ours, serves each HTTP listener
// from this host, and forwards requests by HTTPRoute rules and backendRef weights to the backend
// Services' cluster IPs. Like the implementations users run (Envoy Gateway, Istio), each Gateway
// gets a Service in its namespace (`<gateway>-gateway`, one port per listener) so that clients
// reach it through that Service: from pods by cluster IP, from outside through the API server's
// service proxy. It writes GatewayClass, Gateway and HTTPRoute status conditions.
//
// Supported: HTTP listeners; allowedRoutes Same/All; hostnames; path Exact/PathPrefix/
// RegularExpression, header, query-parameter and method matches; weighted backendRefs to
// Services in the route's namespace. Not supported: HTTPS/TLS, filters, ReferenceGrants, GRPCRoute.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os/signal"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

const gatewayGroup = "gateway.networking.k8s.io"

var (
	gatewayClassesResource = schema.GroupVersionResource{Group: gatewayGroup, Version: "v1", Resource: "gatewayclasses"}
	gatewaysResource       = schema.GroupVersionResource{Group: gatewayGroup, Version: "v1", Resource: "gateways"}
	httpRoutesResource     = schema.GroupVersionResource{Group: gatewayGroup, Version: "v1", Resource: "httproutes"}
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	bindAddress := flag.String("bind-address", "127.0.0.1", "address the listeners are served on; the Gateway Services point at it")
	anchorImage := flag.String("anchor-image", "localhost:5000/pause:3.10", "image of the host-network pod that gives each Gateway Service a pod endpoint")
	controllerName := flag.String("controller-name", "model-canary.local/gateway-controller", "GatewayClass controllerName this implementation owns")
	flag.Parse()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("loading kubeconfig: %v", err)
	}
	// The Endpoints API is deprecated in favour of EndpointSlices, but the API server's service
	// proxy still resolves Services through it; the warning would repeat on every write.
	config.WarningHandler = rest.NoWarnings{}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	c := newController(config, *bindAddress, *controllerName)
	c.anchorImage = *anchorImage
	c.run(ctx)
}

type controller struct {
	controllerName string
	bindAddress    string
	dynamicClient  dynamic.Interface
	kubeClient     kubernetes.Interface
	dynamicFactory dynamicinformer.DynamicSharedInformerFactory
	kubeFactory    informers.SharedInformerFactory
	anchorFactory  informers.SharedInformerFactory
	services       corelisters.ServiceLister
	pods           corelisters.PodLister
	anchorImage    string
	transport      *http.Transport
	wake           chan struct{}

	mu        sync.Mutex
	listeners map[string]*servedListener // by namespace/gateway/listener
	applied   map[string]string          // last Service/Endpoints written, by namespace/gateway
}

type servedListener struct {
	port     int32 // the port in the Gateway spec (the Service port)
	hostPort int   // the port actually bound on bindAddress (the Service's target)
	server   *http.Server
	routes   atomic.Pointer[listenerRoutes]
}

func newController(config *rest.Config, bindAddress, controllerName string) *controller {
	dynamicClient := dynamic.NewForConfigOrDie(config)
	kubeClient := kubernetes.NewForConfigOrDie(config)
	kubeFactory := informers.NewSharedInformerFactory(kubeClient, 10*time.Minute)
	// Only the anchor pods this daemon creates are watched.
	anchorFactory := informers.NewSharedInformerFactoryWithOptions(kubeClient, 10*time.Minute,
		informers.WithTweakListOptions(func(options *metav1.ListOptions) {
			options.LabelSelector = "app.kubernetes.io/managed-by=model-canary-gateway"
		}))
	return &controller{
		controllerName: controllerName,
		bindAddress:    bindAddress,
		dynamicClient:  dynamicClient,
		kubeClient:     kubeClient,
		dynamicFactory: dynamicinformer.NewDynamicSharedInformerFactory(dynamicClient, 10*time.Minute),
		kubeFactory:    kubeFactory,
		services:       kubeFactory.Core().V1().Services().Lister(),
		pods:           anchorFactory.Core().V1().Pods().Lister(),
		anchorFactory:  anchorFactory,
		transport: &http.Transport{
			MaxIdleConns: 200, MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
		wake:      make(chan struct{}, 1),
		listeners: map[string]*servedListener{},
		applied:   map[string]string{},
	}
}

func (c *controller) run(ctx context.Context) {
	notify := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { c.enqueue() },
		UpdateFunc: func(interface{}, interface{}) { c.enqueue() },
		DeleteFunc: func(interface{}) { c.enqueue() },
	}
	for _, resource := range []schema.GroupVersionResource{gatewayClassesResource, gatewaysResource, httpRoutesResource} {
		if _, err := c.dynamicFactory.ForResource(resource).Informer().AddEventHandler(notify); err != nil {
			log.Fatalf("watching %s: %v", resource.Resource, err)
		}
	}
	if _, err := c.kubeFactory.Core().V1().Services().Informer().AddEventHandler(notify); err != nil {
		log.Fatalf("watching services: %v", err)
	}
	if _, err := c.anchorFactory.Core().V1().Pods().Informer().AddEventHandler(notify); err != nil {
		log.Fatalf("watching anchor pods: %v", err)
	}
	c.dynamicFactory.Start(ctx.Done())
	c.kubeFactory.Start(ctx.Done())
	c.anchorFactory.Start(ctx.Done())
	c.dynamicFactory.WaitForCacheSync(ctx.Done())
	c.kubeFactory.WaitForCacheSync(ctx.Done())
	c.anchorFactory.WaitForCacheSync(ctx.Done())
	log.Printf("watching Gateway API objects for controllerName %s; serving listeners on %s", c.controllerName, c.bindAddress)

	resync := time.NewTicker(30 * time.Second)
	defer resync.Stop()
	c.enqueue()
	for {
		select {
		case <-ctx.Done():
			c.mu.Lock()
			for _, served := range c.listeners {
				_ = served.server.Close()
			}
			c.mu.Unlock()
			return
		case <-c.wake:
		case <-resync.C:
		}
		// Let a burst of events (an apply of several objects) settle into one reconcile.
		time.Sleep(100 * time.Millisecond)
		select {
		case <-c.wake:
		default:
		}
		if err := c.reconcile(ctx); err != nil {
			log.Printf("reconcile: %v", err)
			c.enqueue()
			time.Sleep(time.Second)
		}
	}
}

func (c *controller) enqueue() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func listObjects[T any](c *controller, resource schema.GroupVersionResource) ([]*T, []*unstructured.Unstructured, error) {
	objects, err := c.dynamicFactory.ForResource(resource).Lister().List(labels.Everything())
	if err != nil {
		return nil, nil, err
	}
	typed := make([]*T, 0, len(objects))
	raw := make([]*unstructured.Unstructured, 0, len(objects))
	for _, object := range objects {
		u := object.(*unstructured.Unstructured)
		value := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, value); err != nil {
			log.Printf("skipping %s %s/%s: %v", resource.Resource, u.GetNamespace(), u.GetName(), err)
			continue
		}
		typed = append(typed, value)
		raw = append(raw, u)
	}
	return typed, raw, nil
}

// reconcile recomputes everything from the informers' caches: which listeners to serve, what
// each routes, the Gateway Services, and all status. Everything is small on one node.
func (c *controller) reconcile(ctx context.Context) error {
	classes, rawClasses, err := listObjects[gatewayClass](c, gatewayClassesResource)
	if err != nil {
		return err
	}
	gateways, rawGateways, err := listObjects[gateway](c, gatewaysResource)
	if err != nil {
		return err
	}
	routes, rawRoutes, err := listObjects[httpRoute](c, httpRoutesResource)
	if err != nil {
		return err
	}

	ours := map[string]bool{}
	for i, class := range classes {
		if class.Spec.ControllerName != c.controllerName {
			continue
		}
		ours[class.Name] = true
		c.writeStatus(ctx, gatewayClassesResource, rawClasses[i], map[string]interface{}{
			"conditions": conditions(rawClasses[i], class.Generation,
				condition("Accepted", true, "Accepted", "handled by "+c.controllerName)),
		})
	}

	ourGateways := map[string]*gateway{}
	for _, gw := range gateways {
		if ours[gw.Spec.GatewayClassName] {
			ourGateways[gw.Namespace+"/"+gw.Name] = gw
		}
	}

	// Compile every route into the tables of the listeners it attaches to.
	tables := map[string]*listenerRoutes{}
	attached := map[string]int{}
	for i, route := range routes {
		parents := c.attachRoute(route, i, ourGateways, tables, attached)
		c.writeRouteStatus(ctx, rawRoutes[i], route, parents)
	}

	wanted := map[string]bool{}
	for i, gw := range gateways {
		if !ours[gw.Spec.GatewayClassName] {
			continue
		}
		status, err := c.programGateway(ctx, gw, rawGateways[i], tables, attached, wanted)
		if err != nil {
			log.Printf("gateway %s/%s: %v", gw.Namespace, gw.Name, err)
			continue
		}
		c.writeStatus(ctx, gatewaysResource, rawGateways[i], status)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for key, served := range c.listeners {
		if !wanted[key] {
			_ = served.server.Close()
			delete(c.listeners, key)
			log.Printf("stopped listener %s", key)
		}
	}
	for key := range c.applied {
		if _, ok := ourGateways[key]; !ok {
			delete(c.applied, key) // the Service and Endpoints go with the Gateway (owner references)
		}
	}
	return nil
}

type parentResult struct {
	ref                              map[string]interface{}
	accepted, resolved               bool
	acceptedReason, resolvedReason   string
	acceptedMessage, resolvedMessage string
}

// attachRoute adds the route's rules to each listener its parentRefs select, and returns the
// per-parent outcome for the route's status.
func (c *controller) attachRoute(route *httpRoute, order int, gateways map[string]*gateway, tables map[string]*listenerRoutes, attached map[string]int) []parentResult {
	var results []parentResult
	rules, resolved, resolvedReason, resolvedMessage := c.compileRules(route, order)
	for _, ref := range route.Spec.ParentRefs {
		if stringOr(ref.Group, gatewayGroup) != gatewayGroup || stringOr(ref.Kind, "Gateway") != "Gateway" {
			continue
		}
		namespace := stringOr(ref.Namespace, route.Namespace)
		gw, ok := gateways[namespace+"/"+ref.Name]
		if !ok {
			continue // not a Gateway of ours: another implementation reports on it
		}
		result := parentResult{ref: parentRefStatus(ref, namespace), resolved: resolved, resolvedReason: resolvedReason, resolvedMessage: resolvedMessage}
		for _, l := range gw.Spec.Listeners {
			if ref.SectionName != nil && *ref.SectionName != l.Name || ref.Port != nil && *ref.Port != l.Port {
				continue
			}
			if l.Protocol != "HTTP" || !routeAllowed(l, gw.Namespace, route.Namespace) {
				continue
			}
			key := gw.Namespace + "/" + gw.Name + "/" + l.Name
			table := tables[key]
			if table == nil {
				table = &listenerRoutes{}
				tables[key] = table
			}
			for _, rule := range rules {
				rule.hostnames = intersectHostnames(l.Hostname, route.Spec.Hostnames)
				table.rules = append(table.rules, rule)
			}
			attached[key]++
			result.accepted = true
		}
		if result.accepted {
			result.acceptedReason, result.acceptedMessage = "Accepted", "attached to the Gateway's listeners"
		} else {
			result.acceptedReason = "NotAllowedByListeners"
			result.acceptedMessage = "no HTTP listener of the Gateway accepts this route"
		}
		results = append(results, result)
	}
	return results
}

func routeAllowed(l listener, gatewayNamespace, routeNamespace string) bool {
	from := "Same"
	if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil && l.AllowedRoutes.Namespaces.From != "" {
		from = l.AllowedRoutes.Namespaces.From
	}
	switch from {
	case "All":
		return true
	case "Same":
		return gatewayNamespace == routeNamespace
	}
	return false // Selector is not implemented
}

// intersectHostnames: a listener hostname narrows the route's; without either, any host matches.
func intersectHostnames(listenerHostname *string, routeHostnames []string) []string {
	if listenerHostname == nil || *listenerHostname == "" {
		return routeHostnames
	}
	if len(routeHostnames) == 0 {
		return []string{*listenerHostname}
	}
	var out []string
	for _, h := range routeHostnames {
		if hostMatches([]string{*listenerHostname}, h) || hostMatches([]string{h}, *listenerHostname) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return []string{"\x00no-host"} // nothing can match; the route attaches but serves no host
	}
	return out
}

func (c *controller) compileRules(route *httpRoute, order int) ([]compiledRule, bool, string, string) {
	resolved, reason, message := true, "ResolvedRefs", "all backend references resolved"
	var rules []compiledRule
	for ruleIndex, rule := range route.Spec.Rules {
		var backends []weightedBackend
		for _, ref := range rule.BackendRefs {
			target, problem, why := c.resolveBackend(route.Namespace, ref)
			if target == nil {
				resolved, reason, message = false, problem, why
			}
			weight := int32(1)
			if ref.Weight != nil {
				weight = *ref.Weight
			}
			backends = append(backends, weightedBackend{target: target, weight: weight})
		}
		matches := rule.Matches
		if len(matches) == 0 {
			matches = []routeMatch{{}}
		}
		for _, match := range matches {
			compiled, err := compileMatch(match)
			if err != nil {
				resolved, reason, message = false, "UnsupportedValue", err.Error()
				continue
			}
			rules = append(rules, compiledRule{match: compiled, backends: backends, order: order*1000 + ruleIndex})
		}
	}
	return rules, resolved, reason, message
}

func compileMatch(match routeMatch) (compiledMatch, error) {
	compiled := compiledMatch{pathType: "PathPrefix", path: "/"}
	if match.Path != nil {
		compiled.pathType = stringOr(match.Path.Type, "PathPrefix")
		compiled.path = stringOr(match.Path.Value, "/")
		if compiled.pathType == "RegularExpression" {
			pattern, err := regexp.Compile("^(?:" + compiled.path + ")$")
			if err != nil {
				return compiled, fmt.Errorf("path regular expression: %w", err)
			}
			compiled.pathRegexp = pattern
		}
	}
	compiled.method = stringOr(match.Method, "")
	for _, header := range match.Headers {
		value := nameValue{name: header.Name, value: header.Value}
		if stringOr(header.Type, "Exact") == "RegularExpression" {
			pattern, err := regexp.Compile(header.Value)
			if err != nil {
				return compiled, fmt.Errorf("header %s regular expression: %w", header.Name, err)
			}
			value.pattern = pattern
		}
		compiled.headers = append(compiled.headers, value)
	}
	for _, param := range match.QueryParams {
		value := nameValue{name: param.Name, value: param.Value}
		if stringOr(param.Type, "Exact") == "RegularExpression" {
			pattern, err := regexp.Compile(param.Value)
			if err != nil {
				return compiled, fmt.Errorf("query parameter %s regular expression: %w", param.Name, err)
			}
			value.pattern = pattern
		}
		compiled.queryParams = append(compiled.queryParams, value)
	}
	return compiled, nil
}

func (c *controller) resolveBackend(routeNamespace string, ref backendRef) (*url.URL, string, string) {
	if stringOr(ref.Group, "") != "" || stringOr(ref.Kind, "Service") != "Service" {
		return nil, "InvalidKind", fmt.Sprintf("backend %s: only core Services are supported", ref.Name)
	}
	if ref.Namespace != nil && *ref.Namespace != routeNamespace {
		return nil, "RefNotPermitted", fmt.Sprintf("backend %s/%s: cross-namespace references are not supported", *ref.Namespace, ref.Name)
	}
	if ref.Port == nil {
		return nil, "UnsupportedValue", fmt.Sprintf("backend %s: port is required", ref.Name)
	}
	service, err := c.services.Services(routeNamespace).Get(ref.Name)
	if err != nil || service.Spec.ClusterIP == "" || service.Spec.ClusterIP == corev1.ClusterIPNone {
		return nil, "BackendNotFound", fmt.Sprintf("backend Service %s/%s not found or has no cluster IP", routeNamespace, ref.Name)
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(service.Spec.ClusterIP, strconv.Itoa(int(*ref.Port)))}, "", ""
}
