package awslambda

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions"
)

// sample reads a sample event of aws-lambda-go (testdata/aws-lambda-go).
func sample(t testing.TB, name string) []byte {
	t.Helper()
	return readTestdata(t, "aws-lambda-go/"+name)
}

// body is one record's content and what the server says of it alone.
type body struct {
	data []byte
	bad  bool
}

// suiteBodies are the 10 message bodies of sqs-batch-10.json (8 good: flow
// objects, value arrays, a batch, the features wrapper, CloudEvents; 2
// bad: unknown fields, a number), each judged by the server on its own.
func suiteBodies(t *testing.T, srv *functions.Server) []body {
	t.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(readTestdata(t, "sqs-batch-10.json"), &ev); err != nil {
		t.Fatal(err)
	}
	var out []body
	bad := 0
	for _, m := range ev.Records {
		_, _, err := srv.HandleMessage(t.Context(), []byte(m.Body))
		if err != nil && functions.StatusOf(err) >= 500 {
			t.Fatalf("body %s: server fault: %v", m.Body, err)
		}
		if err != nil {
			bad++
		}
		out = append(out, body{data: []byte(m.Body), bad: err != nil})
	}
	if len(out) != 10 || bad != 2 {
		t.Fatalf("%d bodies, %d bad; want 10 and 2", len(out), bad)
	}
	return out
}

// checkSink: the sink got exactly the good ids, in order, each with the
// answer the server gives its body alone.
func checkSink(t *testing.T, srv *functions.Server, col *collector, good []string, bodies map[string][]byte) {
	t.Helper()
	if !slices.Equal(col.ids, good) {
		t.Fatalf("sink got %v, want the good records %v", col.ids, good)
	}
	for _, id := range good {
		reply, results, err := srv.HandleMessage(t.Context(), bodies[id])
		if err != nil {
			t.Fatal(err)
		}
		if reply != nil {
			got := col.replies[id]
			if got == nil || got.Subject() != reply.Subject() || got.Type() != reply.Type() {
				t.Errorf("record %s: sink reply %v, want %v", id, got, reply)
			}
			continue
		}
		if !sameResults(col.results[id], results) {
			t.Errorf("record %s: sink results %v, want %v", id, col.results[id], results)
		}
	}
}

// sameResults compares classifications but for their reply ids (a fresh
// nonce each time).
func sameResults(a, b []cloudevents.Classification) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.ID, y.ID = "", ""
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// invokeAs invokes payload through aws-lambda-go and decodes the answer
// into out.
func invokeAs(t *testing.T, inv lambda.Handler, payload []byte, out any) {
	t.Helper()
	b, err := inv.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
}

// withRecords replaces the records of a sample event (by its member name)
// and marshals it.
func withRecords(t testing.TB, sampleEvent []byte, member string, records any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(sampleEvent, &ev); err != nil {
		t.Fatal(err)
	}
	ev[member] = records
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstRecord is a copy of a sample's first record, as a generic map.
func firstRecord(t testing.TB, sampleEvent []byte, member string) map[string]any {
	t.Helper()
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(sampleEvent, &ev); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(ev[member], &recs); err != nil || len(recs) == 0 {
		t.Fatalf("sample has no %s: %v", member, err)
	}
	return recs[0]
}

// clone deep-copies a generic JSON value.
func clone(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(v)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// kinesisBatch is the sample Kinesis event with one record per body.
func kinesisBatch(t *testing.T, bodies []body) (payload []byte, seqs []string) {
	s := sample(t, "kinesis-event.json")
	tmpl := firstRecord(t, s, "Records")
	var recs []any
	for i, b := range bodies {
		r := clone(t, tmpl)
		seq := fmt.Sprintf("4956816737333333333333333333333333333333333333333333%04d", i)
		k := r["kinesis"].(map[string]any)
		k["sequenceNumber"], k["data"] = seq, base64.StdEncoding.EncodeToString(b.data)
		r["eventID"] = "shardId-000000000000:" + seq
		recs = append(recs, r)
		seqs = append(seqs, seq)
	}
	return withRecords(t, s, "Records", recs), seqs
}

func TestKinesisBatch(t *testing.T) {
	srv := testServer(t)
	bodies := suiteBodies(t, srv)
	payload, seqs := kinesisBatch(t, bodies)
	if s, _ := classify(payload); s != shapeKinesis {
		t.Fatalf("classify = %v, want kinesis", s)
	}
	col := newCollector()
	var resp events.KinesisEventResponse
	invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(col.sink))), payload, &resp)
	var wantFailed, good []string
	byID := map[string][]byte{}
	for i, b := range bodies {
		byID[seqs[i]] = b.data
		if b.bad {
			wantFailed = append(wantFailed, seqs[i])
		} else {
			good = append(good, seqs[i])
		}
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if !slices.Equal(got, wantFailed) {
		t.Errorf("batchItemFailures %v, want exactly the bad %v", got, wantFailed)
	}
	checkSink(t, srv, col, good, byID)
}

func TestDynamoDBBatch(t *testing.T) {
	srv := testServer(t)
	bodies := suiteBodies(t, srv)
	s := sample(t, "dynamodb-event.json")
	tmpl := firstRecord(t, s, "Records")
	var recs []any
	var wantFailed, good []string
	byID := map[string][]byte{}
	add := func(image map[string]any, name string, fails bool, data []byte) string {
		r := clone(t, tmpl)
		seq := fmt.Sprintf("14054000000000020632%05d", len(recs))
		d := r["dynamodb"].(map[string]any)
		d["SequenceNumber"], d["Keys"] = seq, map[string]any{"id": map[string]any{"S": fmt.Sprint("flow-", len(recs))}}
		r["eventName"] = name
		if image == nil {
			delete(d, "NewImage")
		} else {
			image["id"] = map[string]any{"S": fmt.Sprint("flow-", len(recs))} // the key: not a feature
			d["NewImage"] = image
		}
		recs = append(recs, r)
		switch {
		case fails:
			wantFailed = append(wantFailed, seq)
		case data != nil:
			good = append(good, seq)
			byID[seq] = data
		}
		return seq
	}
	for _, b := range bodies {
		var obj map[string]any
		if json.Unmarshal(b.data, &obj) == nil && obj["specversion"] == nil && obj["features"] == nil {
			// a flow object: one attribute a feature, numbers as N
			image := map[string]any{}
			for k, v := range obj {
				switch v := v.(type) {
				case float64:
					image[k] = map[string]any{"N": fmt.Sprint(v)}
				case nil:
					image[k] = map[string]any{"NULL": true}
				default:
					image[k] = map[string]any{"S": fmt.Sprint(v)}
				}
			}
			add(image, "INSERT", b.bad, b.data)
			continue
		}
		// anything else whole, as the flow attribute
		add(map[string]any{"flow": map[string]any{"S": string(b.data)}}, "MODIFY", b.bad, b.data)
	}
	// a REMOVE has no new image: skipped, neither failed nor classified
	add(nil, "REMOVE", false, nil)
	// a binary attribute is not a feature
	add(map[string]any{"Dst Port": map[string]any{"N": "80"}, "blob": map[string]any{"B": "AAEqQQ=="}}, "INSERT", true, nil)
	payload := withRecords(t, s, "Records", recs)
	if sh, _ := classify(payload); sh != shapeDynamoDB {
		t.Fatalf("classify = %v, want dynamodb", sh)
	}
	col := newCollector()
	var resp events.DynamoDBEventResponse
	invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(col.sink))), payload, &resp)
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if !slices.Equal(got, wantFailed) {
		t.Errorf("batchItemFailures %v, want exactly the bad %v", got, wantFailed)
	}
	// the good flow objects were rebuilt from attributes: the sink must
	// have what the server says of the original document
	checkSink(t, srv, col, good, byID)
}

func TestKafkaBatch(t *testing.T) {
	srv := testServer(t)
	bodies := suiteBodies(t, srv)
	s := sample(t, "kafka-event.json")
	var ev struct {
		Records map[string][]map[string]any `json:"records"`
	}
	if err := json.Unmarshal(s, &ev); err != nil {
		t.Fatal(err)
	}
	tmpl := ev.Records["AWSKafkaTopic-0"][0]
	// two partitions, five records each, from offset 100
	records := map[string][]any{}
	var wantFailed []KafkaItemIdentifier
	var good []string
	byID := map[string][]byte{}
	for i, b := range bodies {
		part := int64(i / 5)
		off := int64(100 + i%5)
		r := clone(t, tmpl)
		r["partition"], r["offset"], r["value"] = part, off, base64.StdEncoding.EncodeToString(b.data)
		key := fmt.Sprintf("AWSKafkaTopic-%d", part)
		records[key] = append(records[key], r)
		id := fmt.Sprintf("%s@%d", key, off)
		if b.bad {
			wantFailed = append(wantFailed, KafkaItemIdentifier{Partition: key, Offset: off})
		} else {
			good = append(good, id)
			byID[id] = b.data
		}
	}
	payload := withRecords(t, s, "records", records)
	if sh, _ := classify(payload); sh != shapeKafka {
		t.Fatalf("classify = %v, want kafka", sh)
	}
	col := newCollector()
	var resp KafkaEventResponse
	invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(col.sink))), payload, &resp)
	var got []KafkaItemIdentifier
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if !slices.Equal(got, wantFailed) {
		t.Errorf("batchItemFailures %v, want exactly the bad %v", got, wantFailed)
	}
	checkSink(t, srv, col, good, byID)

	// self-managed Kafka is the same event with another eventSource
	sm := bytes.Replace(payload, []byte(`"aws:kafka"`), []byte(`"SelfManagedKafka"`), 1)
	var resp2 KafkaEventResponse
	invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(newCollector().sink))), sm, &resp2)
	if !reflect.DeepEqual(resp2, resp) {
		t.Errorf("self-managed Kafka answered %+v, want %+v", resp2, resp)
	}
}

func TestFirehose(t *testing.T) {
	srv := testServer(t)
	bodies := suiteBodies(t, srv)
	res, _, err := srv.ClassifyJSON(t.Context(), []byte(`{"Dst Port": 22}`))
	if err != nil {
		t.Fatal(err)
	}
	feedback, _ := json.Marshal(map[string]any{"specversion": "1.0", "id": "fb-1", "source": "/test/firehose",
		"type": cloudevents.TypeFeedback, "datacontenttype": "application/json",
		"data": map[string]string{"id": res[0].ID, "truth": "PortScan"}})
	bodies = append(bodies, body{data: feedback})
	s := sample(t, "kinesis-firehose-event.json")
	tmpl := firstRecord(t, s, "records")
	var recs []any
	for i, b := range bodies {
		r := clone(t, tmpl)
		r["recordId"], r["data"] = fmt.Sprintf("record%d", i+1), base64.StdEncoding.EncodeToString(b.data)
		recs = append(recs, r)
	}
	payload := withRecords(t, s, "records", recs)
	if sh, _ := classify(payload); sh != shapeFirehose {
		t.Fatalf("classify = %v, want firehose", sh)
	}
	col := newCollector()
	var resp events.KinesisFirehoseResponse
	invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(col.sink))), payload, &resp)
	if len(resp.Records) != len(bodies) {
		t.Fatalf("%d records answered, want %d (every record once)", len(resp.Records), len(bodies))
	}
	for i, r := range resp.Records {
		b := bodies[i]
		if want := fmt.Sprintf("record%d", i+1); r.RecordID != want {
			t.Fatalf("answer %d is for %s, want %s", i, r.RecordID, want)
		}
		_, feedbackCase := map[int]bool{len(bodies) - 1: true}[i]
		switch {
		case feedbackCase:
			if r.Result != events.KinesisFirehoseTransformedStateDropped {
				t.Errorf("feedback record: %s, want Dropped", r.Result)
			}
		case b.bad:
			if r.Result != events.KinesisFirehoseTransformedStateProcessingFailed || !bytes.Equal(r.Data, b.data) {
				t.Errorf("bad record %s: %s with %q, want ProcessingFailed with its data unchanged", r.RecordID, r.Result, r.Data)
			}
		default:
			if r.Result != events.KinesisFirehoseTransformedStateOk || !bytes.HasSuffix(r.Data, []byte("\n")) {
				t.Fatalf("good record %s: %s %q, want Ok and one JSON line", r.RecordID, r.Result, r.Data)
			}
			var out struct {
				Input   json.RawMessage                 `json:"input"`
				Results []cloudevents.Classification    `json:"results"`
				Reply   *struct{ Type, Subject string } `json:"reply"`
			}
			if err := json.Unmarshal(r.Data, &out); err != nil {
				t.Fatalf("record %s: %v", r.RecordID, err)
			}
			if !jsonSame(out.Input, b.data) {
				t.Errorf("record %s: input %s, want %s", r.RecordID, out.Input, b.data)
			}
			reply, results, _ := srv.HandleMessage(t.Context(), b.data)
			if reply != nil {
				if out.Reply == nil || out.Reply.Subject != reply.Subject() || out.Reply.Type != cloudevents.TypeClassified {
					t.Errorf("record %s: reply %+v, want the reply to %s", r.RecordID, out.Reply, reply.Subject())
				}
			} else if !sameResults(out.Results, results) {
				t.Errorf("record %s: results %v, want %v", r.RecordID, out.Results, results)
			}
		}
	}
	if len(col.ids) != 0 {
		t.Errorf("the sink got %v: a transformation's results go back to Firehose", col.ids)
	}
}

// jsonSame compares two JSON documents by value.
func jsonSame(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// logsEvent is a CloudWatch Logs subscription event of the messages.
func logsEvent(t testing.TB, messageType string, messages []string) []byte {
	t.Helper()
	d := events.CloudwatchLogsData{Owner: "123456789012", LogGroup: "/flowsense/flows", LogStream: "eni-0a1b2c3d-all",
		SubscriptionFilters: []string{"flowsense"}, MessageType: messageType}
	for i, m := range messages {
		d.LogEvents = append(d.LogEvents, events.CloudwatchLogsLogEvent{ID: fmt.Sprintf("event%02d", i), Timestamp: 1440442987000 + int64(i), Message: m})
	}
	return gzipLogs(t, d)
}

func gzipLogs(t testing.TB, d any) []byte {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	b, _ := json.Marshal(events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}})
	return b
}

// VPC Flow Logs records in the default format (AWS's documented examples,
// with this account's addresses).
const (
	vpcAccept  = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	vpcReject  = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
	vpcNoData  = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
	vpcSkip    = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
	vpcOneSec  = "2 123456789010 eni-1235b8ca123456789 10.0.0.5 10.0.0.9 33000 80 6 1 60 1418530010 1418530010 ACCEPT OK"
	vpcBadPort = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 ssh 6 20 4249 1418530010 1418530070 ACCEPT OK"
	vpcV5      = "5 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
)

func TestCloudWatchLogs(t *testing.T) {
	srv := testServer(t)
	bodies := suiteBodies(t, srv)
	var messages []string
	for _, b := range bodies {
		messages = append(messages, string(b.data))
	}
	messages = append(messages, vpcAccept, vpcReject, vpcNoData, vpcSkip, vpcOneSec, vpcBadPort, vpcV5, "[ERROR] not a flow")
	payload := logsEvent(t, "DATA_MESSAGE", messages)
	if sh, _ := classify(payload); sh != shapeLogs {
		t.Fatalf("classify = %v, want logs", sh)
	}
	col := newCollector()
	var resp LogsResponse
	invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(col.sink))), payload, &resp)
	var wantGood, wantFailed []string
	byID := map[string][]byte{}
	features := schemaNames(srv)
	for i, m := range messages {
		id := fmt.Sprintf("event%02d", i)
		switch {
		case i < len(bodies) && bodies[i].bad, m == vpcBadPort, m == vpcV5, strings.HasPrefix(m, "[ERROR]"):
			wantFailed = append(wantFailed, id)
		case m == vpcNoData, m == vpcSkip:
		case i < len(bodies):
			wantGood = append(wantGood, id)
			byID[id] = bodies[i].data
		default:
			r, err := parseVPCFlow(m)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := r.flow(features)
			if err != nil {
				t.Fatal(err)
			}
			wantGood = append(wantGood, id)
			byID[id] = doc
		}
	}
	want := LogsResponse{MessageType: "DATA_MESSAGE", LogGroup: "/flowsense/flows", Classified: wantGood,
		Skipped: []string{"event12", "event13"}, Failed: wantFailed}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("answer %+v\nwant   %+v", resp, want)
	}
	checkSink(t, srv, col, wantGood, byID)

	t.Run("control message", func(t *testing.T) {
		col := newCollector()
		var resp LogsResponse
		invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(col.sink))),
			logsEvent(t, "CONTROL_MESSAGE", []string{"CWL CONTROL MESSAGE: Checking health of destination Firehose."}), &resp)
		if resp.MessageType != "CONTROL_MESSAGE" || len(resp.Classified)+len(resp.Failed)+len(resp.Skipped) != 0 || len(col.ids) != 0 {
			t.Errorf("control message answered %+v, sink %v", resp, col.ids)
		}
	})
}

// schemaNames are the model's feature names.
func schemaNames(srv *functions.Server) []string {
	var names []string
	for _, f := range srv.Metadata().Schema.Features {
		names = append(names, f.Name)
	}
	return names
}

// TestVPCFlowSchema: the documented mapping of a default-format record.
func TestVPCFlowSchema(t *testing.T) {
	r, err := parseVPCFlow(vpcAccept)
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"Dst Port", "Protocol", "Flow Duration", "Total Fwd Packet", "Total Length of Fwd Packet",
		"Fwd Packet Length Mean", "Flow Bytes/s", "Flow Packets/s", "Total Bwd packets"}
	doc, err := r.flow(all)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]float64
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"Dst Port": 22, "Protocol": 6, "Flow Duration": 60e6, "Total Fwd Packet": 20,
		"Total Length of Fwd Packet": 4249, "Fwd Packet Length Mean": 4249.0 / 20, "Flow Bytes/s": 4249.0 / 60,
		"Flow Packets/s": 20.0 / 60}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flow %v\nwant %v", got, want)
	}
	// the same second: no rates, never a division by zero
	r, _ = parseVPCFlow(vpcOneSec)
	doc, _ = r.flow(all)
	if strings.Contains(string(doc), "/s") || strings.Contains(string(doc), "Inf") {
		t.Errorf("a 0 s record has rates: %s", doc)
	}
	// only the model's features
	doc, _ = r.flow([]string{"Dst Port"})
	if string(doc) != `{"Dst Port":80}` {
		t.Errorf("flow for a model of one feature: %s", doc)
	}
	if _, err := r.flow([]string{"Colour"}); err == nil {
		t.Error("a model with none of the features: no error")
	}
	for _, line := range []string{vpcBadPort, vpcV5, "", "2 a b", strings.Replace(vpcAccept, "OK", "MAYBE", 1),
		strings.Replace(vpcAccept, "1418530070", "1418530000", 1), strings.Replace(vpcAccept, " 20 4249", " 0 4249", 1),
		strings.Replace(vpcAccept, "20641", "-1", 1)} {
		if _, err := parseVPCFlow(line); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

// TestSamplesAsTheyAre: the sample events of aws-lambda-go hold no flow,
// so each of their records fails alone and nothing reaches the sink.
func TestSamplesAsTheyAre(t *testing.T) {
	srv := testServer(t)
	col := newCollector()
	inv := invoker(New(srv, WithLogger(quiet), WithSink(col.sink)))
	t.Run("kinesis", func(t *testing.T) {
		var resp events.KinesisEventResponse
		invokeAs(t, inv, sample(t, "kinesis-event.json"), &resp)
		want := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{
			{ItemIdentifier: "49568167373333333333333333333333333333333333333333333333"},
			{ItemIdentifier: "49568167373333333334444444444444444444444444444444444444"}}}
		if !reflect.DeepEqual(resp, want) {
			t.Errorf("%+v", resp)
		}
	})
	t.Run("dynamodb", func(t *testing.T) {
		var resp events.DynamoDBEventResponse
		invokeAs(t, inv, sample(t, "dynamodb-event.json"), &resp)
		if len(resp.BatchItemFailures) != 2 || resp.BatchItemFailures[0].ItemIdentifier != "1405400000000002063282832" {
			t.Errorf("%+v", resp)
		}
	})
	t.Run("kafka", func(t *testing.T) {
		var resp KafkaEventResponse
		invokeAs(t, inv, sample(t, "kafka-event.json"), &resp)
		want := KafkaEventResponse{BatchItemFailures: []KafkaBatchItemFailure{{ItemIdentifier: KafkaItemIdentifier{Partition: "AWSKafkaTopic-0", Offset: 0}}}}
		if !reflect.DeepEqual(resp, want) {
			t.Errorf("%+v", resp)
		}
	})
	t.Run("firehose", func(t *testing.T) {
		var resp events.KinesisFirehoseResponse
		invokeAs(t, inv, sample(t, "kinesis-firehose-event.json"), &resp)
		if len(resp.Records) != 2 {
			t.Fatalf("%+v", resp)
		}
		for i, r := range resp.Records {
			if r.RecordID != fmt.Sprintf("record%d", i+1) || r.Result != events.KinesisFirehoseTransformedStateProcessingFailed || string(r.Data) != "Hello World" {
				t.Errorf("%+v", r)
			}
		}
	})
	t.Run("cloudwatch logs", func(t *testing.T) {
		var resp LogsResponse
		invokeAs(t, inv, sample(t, "cloudwatch-logs-event.json"), &resp)
		want := LogsResponse{MessageType: "DATA_MESSAGE", LogGroup: "testLogGroup", Classified: []string{}, Skipped: []string{},
			Failed: []string{"eventId1", "eventId2"}}
		if !reflect.DeepEqual(resp, want) {
			t.Errorf("%+v", resp)
		}
	})
	if len(col.ids) != 0 {
		t.Errorf("the sink got %v", col.ids)
	}
}

// TestStreamFaults: a server that cannot answer fails every record of a
// stream (they are retried, none is lost) and fails the invocation of a
// Firehose transformation and a logs subscription (both retry the whole
// batch), never files a good record as bad.
func TestStreamFaults(t *testing.T) {
	srv := testServer(t)
	bodies := suiteBodies(t, srv)
	_ = srv.Close(t.Context())
	inv := invoker(New(srv, WithLogger(quiet), WithSink(newCollector().sink)))
	payload, seqs := kinesisBatch(t, bodies)
	var resp events.KinesisEventResponse
	invokeAs(t, inv, payload, &resp)
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if !slices.Equal(got, seqs) {
		t.Errorf("closed server: batchItemFailures %v, want every record %v", got, seqs)
	}
	fh := withRecords(t, sample(t, "kinesis-firehose-event.json"), "records", []any{
		map[string]any{"recordId": "r1", "approximateArrivalTimestamp": 1507217624302, "data": base64.StdEncoding.EncodeToString(bodies[0].data)}})
	if _, err := inv.Invoke(t.Context(), fh); err == nil || !strings.Contains(err.Error(), "retried") {
		t.Errorf("firehose on a closed server: %v, want the invocation to fail", err)
	}
	if _, err := inv.Invoke(t.Context(), logsEvent(t, "DATA_MESSAGE", []string{vpcAccept})); err == nil {
		t.Errorf("logs on a closed server: no error")
	}
}

// TestBadStreamEvents: events of a known source that cannot be decoded
// fail the invocation with ErrPayload; a record that cannot be decoded
// fails alone.
func TestBadStreamEvents(t *testing.T) {
	inv := invoker(New(testServer(t), WithLogger(quiet), WithSink(newCollector().sink)))
	for name, p := range map[string]string{
		"kinesis record without sequence number":  `{"Records": [{"eventSource": "aws:kinesis", "kinesis": {"data": "e30="}}]}`,
		"dynamodb record without sequence number": `{"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]}`,
		"kafka records not a map":                 `{"eventSource": "aws:kafka", "records": [1]}`,
		"kafka record without offset":             `{"eventSource": "aws:kafka", "records": {"t-0": [{"topic": "t", "partition": 0}]}}`,
		"firehose record without id":              `{"invocationId": "i", "deliveryStreamArn": "a", "records": [{"data": "e30="}]}`,
		"logs not base64":                         `{"awslogs": {"data": "%%%"}}`,
		"logs not gzip":                           `{"awslogs": {"data": "aGVsbG8="}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := inv.Invoke(t.Context(), []byte(p))
			if err == nil || !strings.Contains(err.Error(), ErrPayload.Error()) {
				t.Errorf("error %v, want a bad invocation payload", err)
			}
		})
	}
	t.Run("gzip bomb", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(`{"messageType": "DATA_MESSAGE", "logEvents": [{"id": "x", "message": "`))
		_, _ = zw.Write(make([]byte, maxLogsBytes))
		_ = zw.Close()
		p, _ := json.Marshal(events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}})
		if _, err := inv.Invoke(t.Context(), p); err == nil || !strings.Contains(err.Error(), "decompressed") {
			t.Errorf("error %v, want the decompressed size refused", err)
		}
	})
	t.Run("bad base64 in one record", func(t *testing.T) {
		p := `{"Records": [{"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "1", "data": "%%%"}},
			{"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "2", "data": "` + base64.StdEncoding.EncodeToString([]byte(`{"Dst Port": 80}`)) + `"}}]}`
		var resp events.KinesisEventResponse
		invokeAs(t, inv, []byte(p), &resp)
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "1" {
			t.Errorf("%+v, want record 1 alone", resp)
		}
	})
}
