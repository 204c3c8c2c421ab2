// Package awslambda adapts the flowsense handler (*functions.Server) to
// AWS Lambda: one handler function, Handler.Invoke, that takes the raw JSON
// of any invocation and dispatches on its shape:
//
//   - a Function URL or API Gateway HTTP API (payload 2.0) request, an
//     object with "requestContext"."http": converted to an http.Request,
//     served by ServeHTTP, and converted back (binary bodies base64);
//   - an SQS batch, an object with "Records" from "aws:sqs": each message a
//     flow document or a structured CloudEvent, answered with
//     batchItemFailures naming exactly the messages that failed, the
//     results of the others handed to a Sink (a message the Sink could not
//     deliver is listed as failed too, so it comes back rather than being
//     lost);
//   - a Kinesis Data Streams or DynamoDB Streams batch ("Records" from
//     "aws:kinesis" or "aws:dynamodb"): each record's data (Kinesis) or
//     NewImage (DynamoDB) a flow, answered with batchItemFailures naming
//     the sequence number of exactly the records that failed;
//   - an Amazon MSK or self-managed Kafka batch ("eventSource" "aws:kafka"
//     or "SelfManagedKafka"): each record's value a flow, failures named by
//     topic-partition and offset (KafkaEventResponse);
//   - a Kinesis Data Firehose transformation ("invocationId",
//     "deliveryStreamArn", "records"): every record answered Ok (its data
//     the classification as a JSON line), Dropped (feedback) or
//     ProcessingFailed (a bad record, its data unchanged);
//   - a CloudWatch Logs subscription ("awslogs", gzip and base64): each log
//     event a JSON flow document or a VPC Flow Logs record in the default
//     format, mapped onto the model's features (vpcflow.go), answered with
//     a LogsResponse;
//   - anything else is a direct invocation: a flow, a batch of flows (any
//     JSON /predict takes) or a structured CloudEvent, answered with the
//     classification(s) or the reply event, or an *Error.
//
// It is not the bootstrap (functions/lambda is) and reads no environment.
package awslambda
