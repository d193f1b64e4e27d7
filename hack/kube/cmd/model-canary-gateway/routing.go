package main

import (
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// listenerRoutes is everything one Gateway listener routes, compiled from the HTTPRoutes attached
// to it; it is replaced as a whole on every reconcile and never mutated.
type listenerRoutes struct {
	rules []compiledRule
}

type compiledRule struct {
	hostnames []string // empty: any host
	match     compiledMatch
	backends  []weightedBackend
	order     int // the route's creation order and rule index, for the spec's tie-breaking
}

type compiledMatch struct {
	pathType    string // Exact, PathPrefix or RegularExpression
	path        string
	pathRegexp  *regexp.Regexp
	method      string
	headers     []nameValue
	queryParams []nameValue
}

type nameValue struct {
	name, value string
	pattern     *regexp.Regexp
}

type weightedBackend struct {
	target *url.URL // nil when the backend could not be resolved: its share of requests gets 500
	weight int32
}

// sortBySpecificity orders rules the way the Gateway API asks implementations to: an exact path
// before a prefix, longer prefixes first, then a method, more headers, more query parameters,
// and finally the older route and the earlier rule.
func (routes *listenerRoutes) sortBySpecificity() {
	rank := func(m compiledMatch) int {
		switch m.pathType {
		case "Exact":
			return 2
		case "PathPrefix":
			return 1
		}
		return 0
	}
	sort.SliceStable(routes.rules, func(i, j int) bool {
		a, b := routes.rules[i].match, routes.rules[j].match
		if rank(a) != rank(b) {
			return rank(a) > rank(b)
		}
		if len(a.path) != len(b.path) {
			return len(a.path) > len(b.path)
		}
		if (a.method != "") != (b.method != "") {
			return a.method != ""
		}
		if len(a.headers) != len(b.headers) {
			return len(a.headers) > len(b.headers)
		}
		if len(a.queryParams) != len(b.queryParams) {
			return len(a.queryParams) > len(b.queryParams)
		}
		return routes.rules[i].order < routes.rules[j].order
	})
}

func (m compiledMatch) matches(request *http.Request) bool {
	switch m.pathType {
	case "Exact":
		if request.URL.Path != m.path {
			return false
		}
	case "RegularExpression":
		if !m.pathRegexp.MatchString(request.URL.Path) {
			return false
		}
	default:
		if !pathHasPrefix(request.URL.Path, m.path) {
			return false
		}
	}
	if m.method != "" && request.Method != m.method {
		return false
	}
	for _, header := range m.headers {
		value := request.Header.Get(header.name)
		if header.pattern != nil && !header.pattern.MatchString(value) || header.pattern == nil && value != header.value {
			return false
		}
	}
	query := request.URL.Query()
	for _, param := range m.queryParams {
		value := query.Get(param.name)
		if param.pattern != nil && !param.pattern.MatchString(value) || param.pattern == nil && value != param.value {
			return false
		}
	}
	return true
}

// pathHasPrefix matches whole path segments, as PathPrefix requires: /v1 matches /v1 and /v1/x
// but not /v12.
func pathHasPrefix(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return true
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func hostMatches(patterns []string, host string) bool {
	if len(patterns) == 0 {
		return true
	}
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	host = strings.ToLower(host)
	for _, pattern := range patterns {
		pattern = strings.ToLower(pattern)
		if pattern == host || strings.HasPrefix(pattern, "*.") && strings.HasSuffix(host, pattern[1:]) {
			return true
		}
	}
	return false
}

// pickBackend draws one backend with probability weight/sum(weights), which is what HTTPRoute
// backendRef weights mean; a zero total means no backend may receive traffic.
func pickBackend(backends []weightedBackend) (weightedBackend, bool) {
	var total int64
	for _, backend := range backends {
		total += int64(backend.weight)
	}
	if total <= 0 {
		return weightedBackend{}, false
	}
	draw := rand.Int64N(total)
	for _, backend := range backends {
		draw -= int64(backend.weight)
		if draw < 0 {
			return backend, true
		}
	}
	return backends[len(backends)-1], true
}

// listenerHandler serves one listener from whatever routing table is current.
type listenerHandler struct {
	routes    func() *listenerRoutes
	transport http.RoundTripper
}

func (h *listenerHandler) ServeHTTP(writer http.ResponseWriter, request *http.Request) {
	routes := h.routes()
	if routes == nil {
		http.Error(writer, "no routes", http.StatusNotFound)
		return
	}
	for _, rule := range routes.rules {
		if !hostMatches(rule.hostnames, request.Host) || !rule.match.matches(request) {
			continue
		}
		backend, ok := pickBackend(rule.backends)
		if !ok || backend.target == nil {
			// The spec: a rule whose backends are all invalid or weighted zero answers 500.
			http.Error(writer, "no valid backend", http.StatusInternalServerError)
			return
		}
		proxy := &httputil.ReverseProxy{
			Transport: h.transport,
			Rewrite: func(outgoing *httputil.ProxyRequest) {
				outgoing.SetURL(backend.target)
				outgoing.Out.Host = outgoing.In.Host
				outgoing.SetXForwarded()
			},
			ErrorHandler: func(writer http.ResponseWriter, _ *http.Request, err error) {
				http.Error(writer, "backend unavailable: "+err.Error(), http.StatusServiceUnavailable)
			},
		}
		proxy.ServeHTTP(writer, request)
		return
	}
	http.Error(writer, "no route matches", http.StatusNotFound)
}
