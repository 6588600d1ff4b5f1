import { EcsMapper } from './ecs.mapper';
import { parseExtraFields } from './extra-fields.util';
import { FormatErrorCode, FormatException } from './format.exception';
import { OUTPUT_FORMATS, type FormatMapper, type FormatOptions, type OutputFormat } from './format.types';
import { HecMapper } from './hec.mapper';
import { NativeMapper } from './native.mapper';
import { OtlpMapper } from './otlp.mapper';

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** The mapper of one output format; validates the options (extra fields) and throws FormatException when they are wrong. */
export function mapperFor(format: OutputFormat, options: FormatOptions = {}): FormatMapper {
  const extra = parseExtraFields(options.extraFields);
  switch (format) {
    case 'native':
      return new NativeMapper(extra, options.framing);
    case 'ecs':
      return new EcsMapper(extra, options.framing);
    case 'otlp':
      return new OtlpMapper(extra);
    case 'hec':
      return new HecMapper(options.hec, extra);
  }
}

/** `mapperFor` for a format named in configuration, with an error that lists the valid names. */
export function mapperForName(name: string, options: FormatOptions = {}): FormatMapper {
  if (!isOutputFormat(name)) {
    throw new FormatException(FormatErrorCode.UnknownFormat, `format "${name}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return mapperFor(name, options);
}
