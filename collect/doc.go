// Package collect is flowsense's NetFlow v5, NetFlow v9 and IPFIX
// collector: it decodes the datagrams flow exporters (routers, softflowd,
// nProbe) send and maps their records to the NetFlow-v2 feature set of the
// public NF-* datasets (NF-UNSW-NB15-v2, NF-CSE-CIC-IDS2018-v2; Sarhan et
// al.), under nProbe's names, so that a model trained on such columns
// classifies live exports. FIELDS.md says which information elements fill
// each of the 43 features, which a plain v5 export leaves missing, and how
// bidirectional features are formed.
//
// Decoder reads datagrams with goflow2's decoders (decoders/netflowlegacy
// and decoders/netflow, not its collector or producer), after checking
// each message's structure itself, and keeps templates per exporter
// (source address and port) and observation domain within Limits: a
// template flood or bad template lengths give an *Error wrapping a
// sentinel (ErrTemplate, ErrTemplateLimit, ...) and bounded memory. Pairer
// merges the two unidirectional records of a connection into one flow
// (RFC 5103 biflows and nProbe's IN/OUT records pass through); Derive
// fills what follows exactly from the rest. Collector runs both on a UDP
// socket with a bounded queue; CSVWriter writes flows in the NF-v2 column
// layout for training; Mapper turns flows into rows of a model's schema.
// Package collecttest builds datagrams for tests.
//
// It is not a classifier (flowsense collect runs the model's module on the
// rows), an sFlow collector, or a flow store: flows are handed over and
// forgotten.
package collect
