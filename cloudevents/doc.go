// Package cloudevents is flowsense's event contract: the CloudEvents types
// a classifier function takes and gives, the JSON shapes of their data, and
// the checks an incoming event must pass.
//
// In: type io.flowsense.flow.v1 (TypeFlow), data one flow as a JSON object
// of named fields (training column names, raw or canonical), one flow as an
// array of values in schema order, or many flows as a JSON array of either.
// Out: type io.flowsense.flow.classified.v1 (TypeClassified), subject the
// incoming event's id, data a Classification (or an array of them), and the
// extension attributes verdict and flowclass for routing. Feedback: type
// io.flowsense.feedback.v1 (TypeFeedback), data {"id": REPLY_ID, "truth":
// LABEL} (the reply id of a classification; or {"predicted": LABEL,
// "truth": LABEL} where a host counts unverified feedback) or an array of
// them, no reply. README.md documents the
// contract with an example of each event.
//
// FlowDecoder turns the JSON data of a flow event (and the body of a plain
// JSON /predict request, which has the same shapes) into float32 rows in
// schema order; ValidateFlowEvent checks an event with sdk-go's validation
// plus the contract's own rules; Reply builds the classified event;
// ClassificationEncoder writes classifications as encoding/json would, but
// faster (AppendResult straight from a model.Result, allocating nothing); FeedbackDecoder reads feedback data against a model's classes;
// FlowSchema, ClassificationSchema and FeedbackSchema are the JSON Schemas
// of the three data shapes.
//
// It is not a transport: reading and writing HTTP, batches and the
// problem+json answers are package functions' job. It does not classify:
// the model runs in package wasm.
package cloudevents
