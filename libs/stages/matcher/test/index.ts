// Test support for the matcher's fuzzy pairing: the generated, labelled data set and the
// in-memory pairing engine. For this lib's tests and tools/bench; production code never imports it.
export * from './fuzzy-dataset';
export * from './fuzzy-memory';
