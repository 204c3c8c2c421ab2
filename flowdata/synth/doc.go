// Package synth generates synthetic, labelled network flows in the CSV
// layout of the re-extracted CIC-IDS2017 dataset (CICFlowMeter column
// names). It is the data behind `flowsense gen`, the default data of
// `make run`, and the data of most tests.
//
// What it is for: a fast, deterministic, dependency-free stand-in for real
// flow data, with enough structure and overlap between classes that a
// classifier has something to learn and something to get wrong. One
// (Options.Rows, Options.Seed, Options.Mix, Options.Novel) always gives the
// same bytes. Rows are streamed to an io.Writer; nothing is held in memory
// but the row being written.
//
// What it is not for: benchmarking detectors against real attacks. The
// classes are hand-written shapes (see classes.go), not replays of captured
// traffic; figures measured on this data say nothing about real networks.
// Use the real datasets (shared/data) for that.
//
// # Classes
//
// BENIGN is a mixture of web browsing (HTTP/HTTPS, with long keep-alive
// flows), DNS and other small UDP services, interactive and scripted SSH,
// bulk downloads and uploads, short service connections and refused or
// unanswered connection attempts: heavy-tailed sizes and durations. The
// attacks are SYN Flood, PortScan, Brute Force (SSH and FTP logins), Slow
// DoS (slowloris-like) and Exfiltration (long outbound transfers, mostly to
// unusual ports). A few percent of each attack's flows are failed attempts
// that look like benign refused or aborted connections, and several benign
// kinds resemble attacks (refused connections and port scans, scripted SSH
// and brute force, uploads and exfiltration, keep-alive web flows and slow
// DoS), so classes overlap the way they do in captured traffic.
//
// NovelClass ("Unknown Tunnel", an ICMP tunnel: many large, constant-size
// packets both ways at a steady rate) is not in the default mix; it is
// produced only when Options.Novel > 0, for outlier-detector tests.
//
// # Difficulty
//
// With the default mix, a gradient-boosted tree model (scikit-learn 1.2
// HistGradientBoostingClassifier, 200 iterations, 31 leaves, identifier
// columns dropped) trained on 50,000 rows of seed 1 scores 0.989 accuracy
// and 0.982 macro F1 on 20,000 rows of seed 2. The errors are where the
// classes are meant to overlap: PortScan and Exfiltration against BENIGN
// (F1 0.96 each); the other classes reach F1 0.99 or more.
//
// # Consistency
//
// The generator does not simulate every packet. Each direction's packet
// lengths, and the flow's inter-arrival gaps, are a small multiset: one
// minimum, one maximum, and the rest split as evenly as integers allow. Every
// derived column (means, sample standard deviations, rates, averages,
// ratios, idle and active times) is computed exactly from those multisets,
// so the columns agree with each other as CICFlowMeter's do:
//
//	Flow Bytes/s        = (fwd bytes + bwd bytes) / Flow Duration * 1e6
//	Flow Packets/s      = (fwd + bwd packets) / Flow Duration * 1e6
//	Fwd Packet Length Mean = Total Length of Fwd Packet / Total Fwd Packet
//	Flow IAT Mean       = Flow Duration / (packets - 1)
//	Fwd IAT Mean        = Fwd IAT Total / (fwd packets - 1)
//	Down/Up Ratio       = bwd packets / fwd packets
//	Average Packet Size = Packet Length Mean = all bytes / all packets
//	Idle Mean           = mean of the gaps longer than 5 s (0 when none)
//	Active Mean         = (Flow Duration - idle time) / (idle gaps + 1), 0 when no idle gap
//
// Durations and gaps are integer microseconds, packet lengths integer
// payload bytes, standard deviations are sample ones (n-1). When Flow
// Duration is 0 (a one-packet flow) the rates follow Java double arithmetic,
// as CICFlowMeter writes them: x/0 is "Infinity", 0/0 is "NaN". In addition
// about one row in 300 has one feature cell left empty, so readers' handling
// of missing values is exercised.
//
// # Determinism
//
// The random stream is math/rand/v2's PCG seeded from Options.Seed. Output is
// byte-identical for the same options, Go release and CPU architecture
// (math.Exp and math.Log have assembly implementations on some
// architectures; a different last bit can move a rounded value).
package synth
