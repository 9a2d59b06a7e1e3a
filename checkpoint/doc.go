// Package checkpoint reads and writes model weights in the safetensors
// format (https://huggingface.co/docs/safetensors), the format PyTorch,
// Hugging Face and candle use to exchange state dicts.
//
// A safetensors file is an 8-byte little-endian header length N, an N-byte
// JSON header mapping each tensor name to {"dtype", "shape", "data_offsets"}
// (plus an optional "__metadata__" object of strings), and then the raw
// little-endian tensor data, the offsets counted from the end of the header.
//
// Save writes float32 tensors atomically; Load reads any file whose dtypes it
// can convert to float32, after validating the header strictly enough that a
// corrupt or hostile file yields an error rather than a panic or a huge
// allocation; LoadInto fills a model's state dict, checking names and shapes
// first; ReadHeader describes a file without reading its data.
package checkpoint
