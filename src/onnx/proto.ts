/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) that
 * introspect reads and writes, as a protobufjs reflection definition. Field numbers are the
 * ones in onnx.proto; messages and fields we never use (functions, training info, sparse
 * tensors, sequence/map types, segments) are left out, and protobufjs skips them when reading.
 */
import protobuf from 'protobufjs';

type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;
const one = (type: string, id: number) => ({ type, id });
const many = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });

const messages: Record<string, { fields: Fields; oneofs?: Record<string, { oneof: string[] }>; nested?: Record<string, unknown> }> = {
  ModelProto: {
    fields: {
      irVersion: one('int64', 1),
      opsetImport: many('OperatorSetIdProto', 8),
      producerName: one('string', 2),
      producerVersion: one('string', 3),
      domain: one('string', 4),
      modelVersion: one('int64', 5),
      docString: one('string', 6),
      graph: one('GraphProto', 7),
      metadataProps: many('StringStringEntryProto', 14),
    },
  },
  OperatorSetIdProto: { fields: { domain: one('string', 1), version: one('int64', 2) } },
  StringStringEntryProto: { fields: { key: one('string', 1), value: one('string', 2) } },
  GraphProto: {
    fields: {
      node: many('NodeProto', 1),
      name: one('string', 2),
      initializer: many('TensorProto', 5),
      docString: one('string', 10),
      input: many('ValueInfoProto', 11),
      output: many('ValueInfoProto', 12),
      valueInfo: many('ValueInfoProto', 13),
    },
  },
  NodeProto: {
    fields: {
      input: many('string', 1),
      output: many('string', 2),
      name: one('string', 3),
      opType: one('string', 4),
      attribute: many('AttributeProto', 5),
      docString: one('string', 6),
      domain: one('string', 7),
    },
  },
  AttributeProto: {
    fields: {
      name: one('string', 1),
      f: one('float', 2),
      i: one('int64', 3),
      s: one('bytes', 4),
      t: one('TensorProto', 5),
      floats: many('float', 7),
      ints: many('int64', 8),
      strings: many('bytes', 9),
      docString: one('string', 13),
      type: one('int32', 20),
    },
  },
  TensorProto: {
    fields: {
      dims: many('int64', 1),
      dataType: one('int32', 2),
      floatData: many('float', 4),
      int32Data: many('int32', 5),
      int64Data: many('int64', 7),
      name: one('string', 8),
      rawData: one('bytes', 9),
      doubleData: many('double', 10),
      docString: one('string', 12),
      externalData: many('StringStringEntryProto', 13),
      dataLocation: one('int32', 14),
    },
  },
  ValueInfoProto: { fields: { name: one('string', 1), type: one('TypeProto', 2), docString: one('string', 3) } },
  TypeProto: {
    fields: { tensorType: one('TypeProtoTensor', 1), denotation: one('string', 6) },
  },
  TypeProtoTensor: { fields: { elemType: one('int32', 1), shape: one('TensorShapeProto', 2) } },
  TensorShapeProto: { fields: { dim: many('Dimension', 1) } },
  Dimension: {
    fields: { dimValue: one('int64', 1), dimParam: one('string', 2), denotation: one('string', 3) },
    oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
  },
};

/** AttributeProto.AttributeType codes. */
export const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;
/** TensorProto.DataLocation.EXTERNAL. */
export const DATA_LOCATION_EXTERNAL = 1;

const root = protobuf.Root.fromJSON({ nested: { onnx: { nested: messages as Record<string, protobuf.AnyNestedObject> } } });
/** The ModelProto message type (encode/decode). */
export const ModelProto = root.lookupType('onnx.ModelProto');
/** The TensorProto message type. */
export const TensorProto = root.lookupType('onnx.TensorProto');
