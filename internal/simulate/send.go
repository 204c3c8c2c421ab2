package simulate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"

	ce "github.com/cloudevents/sdk-go/v2/client"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/protocol"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/flowsense/flowsense/cloudevents"
)

// maxAnswer bounds the bytes read of one answer.
const maxAnswer = 64 << 20

// Source is the source attribute of the events the simulator sends.
const Source = "urn:flowsense:simulate"

// statusError is a non-2xx answer.
type statusError struct{ status int }

func (e *statusError) Error() string {
	return "status " + strconv.Itoa(e.status) + " " + http.StatusText(e.status)
}

// sender sends one request of n flows (body: one JSON flow object, or an
// array of them) and reads the n classifications.
type sender interface {
	send(ctx context.Context, id string, body []byte, n int, dst []answer) ([]answer, error)
}

// jsonSender posts to TARGET/predict.
type jsonSender struct {
	url    string
	client *http.Client
}

func (s *jsonSender) send(ctx context.Context, _ string, body []byte, n int, dst []answer) ([]answer, error) {
	b, err := post(ctx, s.client, s.url, body)
	if err != nil {
		return nil, err
	}
	return decodeAnswers(b, n, dst)
}

// post sends a JSON body and returns a 2xx answer's body.
func post(ctx context.Context, c *http.Client, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 != 2 {
		return nil, &statusError{resp.StatusCode}
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// eventSender sends binary-mode CloudEvents with sdk-go's client and reads
// the classification from the reply event.
type eventSender struct {
	c ce.Client
}

func newEventSender(target string, client *http.Client) (*eventSender, error) {
	p, err := cehttp.New(cehttp.WithTarget(target), cehttp.WithClient(*client))
	if err != nil {
		return nil, fmt.Errorf("cloudevents client: %w", err)
	}
	c, err := ce.New(p, ce.WithForceBinary())
	if err != nil {
		return nil, fmt.Errorf("cloudevents client: %w", err)
	}
	return &eventSender{c: c}, nil
}

func (s *eventSender) send(ctx context.Context, id string, body []byte, n int, dst []answer) ([]answer, error) {
	e := event.New()
	e.SetID(id)
	e.SetSource(Source)
	e.SetType(cloudevents.TypeFlow)
	if err := e.SetData(cloudevents.ContentTypeJSON, body); err != nil {
		return nil, err
	}
	reply, res := s.c.Request(ctx, e)
	var hr *cehttp.Result
	if errors.As(res, &hr) && hr.StatusCode/100 != 2 {
		return nil, &statusError{hr.StatusCode}
	}
	if !protocol.IsACK(res) {
		return nil, res
	}
	if reply == nil {
		return nil, fmt.Errorf("%w: no reply event", ErrReply)
	}
	if reply.Type() != cloudevents.TypeClassified {
		return nil, fmt.Errorf("%w: reply of type %q", ErrReply, reply.Type())
	}
	return decodeAnswers(reply.Data(), n, dst)
}

// kindOf names the kind of a failed request for the summary: "http NNN",
// "reply" (a 2xx answer that is not the classifications asked for),
// "timeout", "connect" (the connection was refused or could not be made),
// "interrupted" (stopped by Ctrl-C) or "transport" (anything else on the
// way: a reset connection, an early EOF).
func kindOf(err error) string {
	var se *statusError
	var oe *net.OpError
	switch {
	case errors.As(err, &se):
		return "http " + strconv.Itoa(se.status)
	case errors.Is(err, ErrReply):
		return "reply"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &oe) && oe.Op == "dial":
		return "connect"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "transport"
}
