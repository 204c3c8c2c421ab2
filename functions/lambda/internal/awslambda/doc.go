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
//     results of the others handed to a Sink;
//   - anything else is a direct invocation: a flow, a batch of flows (any
//     JSON /predict takes) or a structured CloudEvent, answered with the
//     classification(s) or the reply event, or an *Error.
//
// It is not the bootstrap (functions/lambda is) and reads no environment.
package awslambda
