package trainer

// Version is the trainer version written into every model's metadata.
const Version = "0.1.0"
