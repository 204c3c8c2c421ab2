package awslambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// serveHTTP answers a Function URL request (events.LambdaFunctionURLRequest)
// or an API Gateway HTTP API request (events.APIGatewayV2HTTPRequest): the
// two are the same payload format 2.0, so one decoder reads both; apigw
// chooses the response type. A client's mistake is an HTTP answer, never
// an invocation error; only a payload whose request cannot be rebuilt is
// answered 400 here, without reaching the server.
func (h *Handler) serveHTTP(ctx context.Context, payload []byte, apigw bool) (any, error) {
	status, header, body, cookies := h.roundTrip(ctx, payload)
	isB64, text := encodeBody(header, body)
	hs := make(map[string]string, len(header))
	for k, vs := range header {
		hs[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	if apigw {
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: hs, Body: text, IsBase64Encoded: isB64, Cookies: cookies}, nil
	}
	return events.LambdaFunctionURLResponse{StatusCode: status, Headers: hs, Body: text, IsBase64Encoded: isB64, Cookies: cookies}, nil
}

// roundTrip rebuilds the request, runs it through the server and returns
// the answer; Set-Cookie headers move to cookies, as payload 2.0 wants.
func (h *Handler) roundTrip(ctx context.Context, payload []byte) (status int, header http.Header, body []byte, cookies []string) {
	r, err := newRequest(ctx, payload)
	if err != nil {
		p := payloadError("http", err.Error()).Problem
		b, _ := json.Marshal(p) // plain fields: cannot fail
		return p.Status, http.Header{"Content-Type": {"application/problem+json"}}, b, []string{}
	}
	w := &responseWriter{header: http.Header{}}
	h.srv.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	cookies = w.header.Values("Set-Cookie")
	w.header.Del("Set-Cookie")
	if cookies == nil {
		cookies = []string{}
	}
	return w.status, w.header, w.body.Bytes(), cookies
}

// newRequest rebuilds the http.Request of a payload 2.0 event.
func newRequest(ctx context.Context, payload []byte) (*http.Request, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("http event: %v", err)
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		return nil, fmt.Errorf("http event: no requestContext.http.method")
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return nil, fmt.Errorf("http event: rawPath %q: %v", ev.RawPath, err)
	}
	u.RawQuery = ev.RawQueryString
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("http event: body: %v", err)
		}
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("http event: %v", err)
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.Host = ev.RequestContext.DomainName
	if h := r.Header.Get("Host"); h != "" {
		r.Host = h
	}
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.RequestURI = u.RequestURI()
	r.ContentLength = int64(len(body))
	return r, nil
}

// encodeBody returns the body as Lambda carries it: as text for a textual
// media type that is valid UTF-8 and not content-encoded, base64 otherwise.
func encodeBody(h http.Header, body []byte) (isBase64 bool, text string) {
	if len(body) == 0 {
		return false, ""
	}
	if h.Get("Content-Encoding") == "" && isText(h.Get("Content-Type")) && utf8.Valid(body) {
		return false, string(body)
	}
	return true, base64.StdEncoding.EncodeToString(body)
}

// isText reports whether a media type is text.
func isText(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" ||
		strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") || mt == "application/xml"
}

// responseWriter collects an answer in memory.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

var _ http.ResponseWriter = (*responseWriter)(nil)
