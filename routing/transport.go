package routing

import (
	"net"
	"net/http"
	"strings"
	"time"
)

// maxRedirects matches the limit of net/http's default policy.
const maxRedirects = 10

// newSharedClient returns the HTTP client every destination's exporter
// sends with, unless the exporter options name one. One pool for all
// destinations is what bounds the router's connections: with a transport
// per destination, each of the many destinations a churn of tenants opens
// and closes dials, keeps and closes its own, and the open files grow
// with the churn rather than with the load.
func newSharedClient(maxConnsPerHost int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   30 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxConnsPerHost:       maxConnsPerHost,
			MaxIdleConns:          maxConnsPerHost,
			MaxIdleConnsPerHost:   maxConnsPerHost,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: sameOrigin,
	}
}

// sameOrigin follows a redirect only within the host of the first request
// and never from https to http. Each request carries its destination's API
// key and tenant, and the shared client cannot know which headers those
// are to strip them, so a redirect that leaves is not followed: the
// redirect answer itself is returned, and the request fails.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if !strings.EqualFold(req.URL.Host, first.Host) || (first.Scheme == "https" && req.URL.Scheme != "https") {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return http.ErrUseLastResponse
	}
	return nil
}
