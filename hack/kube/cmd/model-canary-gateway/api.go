package main

// The few Gateway API (gateway.networking.k8s.io/v1) fields this implementation reads, decoded
// from unstructured objects so the module needs no Gateway API Go dependency (whose releases
// track newer Kubernetes libraries than the pinned v0.34 ones).

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type gatewayClass struct {
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ControllerName string `json:"controllerName"`
	} `json:"spec"`
}

type gateway struct {
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		GatewayClassName string     `json:"gatewayClassName"`
		Listeners        []listener `json:"listeners"`
	} `json:"spec"`
}

type listener struct {
	Name          string  `json:"name"`
	Hostname      *string `json:"hostname,omitempty"`
	Port          int32   `json:"port"`
	Protocol      string  `json:"protocol"`
	AllowedRoutes *struct {
		Namespaces *struct {
			From string `json:"from"`
		} `json:"namespaces,omitempty"`
	} `json:"allowedRoutes,omitempty"`
}

type httpRoute struct {
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ParentRefs []parentRef `json:"parentRefs"`
		Hostnames  []string    `json:"hostnames"`
		Rules      []routeRule `json:"rules"`
	} `json:"spec"`
	Status struct {
		Parents []map[string]interface{} `json:"parents"`
	} `json:"status"`
}

type parentRef struct {
	Group       *string `json:"group,omitempty"`
	Kind        *string `json:"kind,omitempty"`
	Namespace   *string `json:"namespace,omitempty"`
	Name        string  `json:"name"`
	SectionName *string `json:"sectionName,omitempty"`
	Port        *int32  `json:"port,omitempty"`
}

type routeRule struct {
	Matches     []routeMatch `json:"matches"`
	BackendRefs []backendRef `json:"backendRefs"`
}

type routeMatch struct {
	Path *struct {
		Type  *string `json:"type,omitempty"`
		Value *string `json:"value,omitempty"`
	} `json:"path,omitempty"`
	Headers []struct {
		Type  *string `json:"type,omitempty"`
		Name  string  `json:"name"`
		Value string  `json:"value"`
	} `json:"headers,omitempty"`
	QueryParams []struct {
		Type  *string `json:"type,omitempty"`
		Name  string  `json:"name"`
		Value string  `json:"value"`
	} `json:"queryParams,omitempty"`
	Method *string `json:"method,omitempty"`
}

type backendRef struct {
	Group     *string `json:"group,omitempty"`
	Kind      *string `json:"kind,omitempty"`
	Namespace *string `json:"namespace,omitempty"`
	Name      string  `json:"name"`
	Port      *int32  `json:"port,omitempty"`
	Weight    *int32  `json:"weight,omitempty"`
}

func stringOr(value *string, fallback string) string {
	if value == nil || *value == "" {
		return fallback
	}
	return *value
}
