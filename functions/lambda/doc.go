// Command bootstrap is the AWS Lambda host of flowsense: one binary for the
// provided.al2023 runtime (linux arm64 or amd64, built with -tags
// lambda.norpc) that serves Function URL and API Gateway HTTP API
// requests, SQS, Kinesis, DynamoDB Streams and Kafka (MSK, self-managed)
// batches, Firehose transformations, CloudWatch Logs subscriptions (VPC
// Flow Logs among them) and direct invocations through the one handler of
// package functions (internal/awslambda dispatches on the payload's
// shape).
//
// The model is the module embedded at build time from bundle/model.wasm
// (make lambda copies it there), or the one FLOWSENSE_MODEL names (a model
// directory, a model.wasm or a model.json). It is loaded once, in the init
// phase, before the first invocation. README.md says how to build, the
// environment and the event shapes.
//
// It is not a local server (flowsense serve is) and holds no logic of its
// own beyond reading its environment.
package main
