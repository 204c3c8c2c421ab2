#!/usr/bin/env python3
"""Writes sqs-batch-10.json: an SQS event (shaped like AWS's documented
sample) of 10 messages taken from the bodies of the behaviour suite's
golden requests: 8 good (flow objects, value arrays, a list of flows, the
{"features": [...]} wrapper, structured CloudEvents) and 2 bad (unknown
fields; a number, not a flow), messages 4 and 8.

  python3 functions/lambda/internal/awslambda/testdata/make_sqs.py \
      functions/testdata/behaviour > functions/lambda/internal/awslambda/testdata/sqs-batch-10.json
"""
import hashlib, json, os, sys

d = sys.argv[1]

def body(name):
    with open(os.path.join(d, name + ".req")) as f:
        return f.read().split("\n\n", 1)[1].rstrip("\n")

def event(id, data):
    return json.dumps({"specversion": "1.0", "id": id, "source": "/test/sqs",
                       "type": "io.flowsense.flow.v1", "datacontenttype": "application/json",
                       "data": json.loads(data)})

bodies = [
    body("predict_object"),
    body("predict_values"),
    body("ce_structured"),
    body("bad_unknown_fields"),        # bad: message 4
    body("predict_array"),
    body("predict_features_wrapper"),
    body("predict_strings_and_nulls"),
    body("bad_not_a_flow_number"),     # bad: message 8
    event("sqs-flow-9", body("predict_values")),
    body("ce_binary"),                  # the binary event's data: a flow object
]
records = []
for i, b in enumerate(bodies, 1):
    records.append({
        "messageId": "059f36b4-87a3-44ab-83d2-66197%07d" % i,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a%d..." % i,
        "body": b,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(1795262400000 + i),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(1795262400100 + i),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(b.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:flowsense-flows",
        "awsRegion": "us-east-2",
    })
json.dump({"Records": records}, sys.stdout, indent=2)
sys.stdout.write("\n")
