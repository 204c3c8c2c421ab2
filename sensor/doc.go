// Package sensor is the first arrow of the architecture: it assembles flows
// from packets (a capture file, a pcap stream on stdin, or a live interface
// through gopacket's pure-Go AF_PACKET socket) with package extract, and
// sends them as CloudEvents of type io.flowsense.flow.v1 to a Knative
// Broker or straight to a flowsense function.
//
// Each event carries a batch of flows (the data is a JSON array of flow
// objects under the model's feature names, which the function reads as
// one request); its id is a hash of the flows it carries (their keys, start
// times and values), so a retried
// batch keeps its id and a sink can drop duplicates. Batches are queued in
// a bounded buffer and sent by a few workers with retries and exponential
// backoff with jitter: a network error, 408, 429 and 5xx are retried, any
// other 4xx is the batch's fault and is dropped and counted. When the
// buffer is full a file source waits (nothing is lost) while a live source
// drops the oldest batch (a NIC cannot be paused) and counts it.
//
// The flow objects hold only the features the model reads: the schema
// comes from the function's GET /model, a model directory or file, or is
// every CICFlowMeter feature. A reply event (the function's
// io.flowsense.flow.classified.v1) is matched to its flows and handed to
// Config.OnVerdicts; a Broker answers 202 without one.
//
// A private function's token goes with each request to the sink's host
// only (BearerToken, read from its file every time, so a rotated token is
// used at once).
//
// It is not a packet broker or a flow store: flows that cannot be
// delivered after the retries are counted in Stats and dropped.
package sensor
