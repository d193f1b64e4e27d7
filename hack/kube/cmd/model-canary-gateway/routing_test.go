package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestPathPrefixMatchesWholeSegments(t *testing.T) {
	cases := []struct {
		path, prefix string
		want         bool
	}{
		{"/v1", "/v1", true},
		{"/v1/models", "/v1", true},
		{"/v1/models", "/v1/", true},
		{"/v12", "/v1", false},
		{"/anything", "/", true},
	}
	for _, c := range cases {
		if got := pathHasPrefix(c.path, c.prefix); got != c.want {
			t.Errorf("pathHasPrefix(%q, %q) = %v, want %v", c.path, c.prefix, got, c.want)
		}
	}
}

func TestHostMatchesWildcardsAndIgnoresPort(t *testing.T) {
	if !hostMatches([]string{"*.example.com"}, "api.example.com:8080") {
		t.Error("wildcard should match a subdomain with a port")
	}
	if hostMatches([]string{"*.example.com"}, "example.com") {
		t.Error("wildcard must not match the bare domain")
	}
	if !hostMatches(nil, "anything") {
		t.Error("no hostnames should match any host")
	}
}

func TestRulesAreOrderedBySpecificity(t *testing.T) {
	routes := &listenerRoutes{rules: []compiledRule{
		{match: compiledMatch{pathType: "PathPrefix", path: "/"}, order: 0},
		{match: compiledMatch{pathType: "PathPrefix", path: "/v1"}, order: 1},
		{match: compiledMatch{pathType: "PathPrefix", path: "/v1", headers: []nameValue{{name: "x-canary", value: "1"}}}, order: 2},
		{match: compiledMatch{pathType: "Exact", path: "/v1/health"}, order: 3},
	}}
	routes.sortBySpecificity()
	var got []int
	for _, rule := range routes.rules {
		got = append(got, rule.order)
	}
	want := []int{3, 2, 1, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}

func TestPickBackendFollowsWeights(t *testing.T) {
	stable, _ := url.Parse("http://stable")
	canary, _ := url.Parse("http://canary")
	backends := []weightedBackend{{target: stable, weight: 90}, {target: canary, weight: 10}}
	canaryCount := 0
	const draws = 100000
	for i := 0; i < draws; i++ {
		backend, ok := pickBackend(backends)
		if !ok {
			t.Fatal("no backend picked")
		}
		if backend.target == canary {
			canaryCount++
		}
	}
	// Binomial(100000, 0.1): sd ~ 95; 9400..10600 is more than 6 sd either side.
	if canaryCount < 9400 || canaryCount > 10600 {
		t.Errorf("canary got %d of %d draws at weight 10/100", canaryCount, draws)
	}
	if _, ok := pickBackend([]weightedBackend{{target: stable, weight: 0}}); ok {
		t.Error("all-zero weights must pick nothing")
	}
}

func TestHandlerRoutesAndReportsMissingBackends(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "backend saw "+r.URL.Path)
	}))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	table := &listenerRoutes{rules: []compiledRule{
		{match: compiledMatch{pathType: "PathPrefix", path: "/v1"}, backends: []weightedBackend{{target: target, weight: 1}}},
		{match: compiledMatch{pathType: "PathPrefix", path: "/broken"}, backends: []weightedBackend{{target: nil, weight: 1}}},
	}}
	handler := &listenerHandler{routes: func() *listenerRoutes { return table }, transport: http.DefaultTransport}

	for _, c := range []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/v1/models", http.StatusOK, "backend saw /v1/models"},
		{"/broken", http.StatusInternalServerError, ""},
		{"/elsewhere", http.StatusNotFound, ""},
	} {
		recorder := httptest.NewRecorder()
		handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "http://gateway"+c.path, nil))
		if recorder.Code != c.wantStatus {
			t.Errorf("%s: status %d, want %d", c.path, recorder.Code, c.wantStatus)
		}
		if c.wantBody != "" && recorder.Body.String() != c.wantBody {
			t.Errorf("%s: body %q, want %q", c.path, recorder.Body.String(), c.wantBody)
		}
	}
}
