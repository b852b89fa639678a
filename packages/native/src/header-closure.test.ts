import { describe, expect, it } from 'vitest';
import { headerClosure, includesOf } from './header-closure.ts';

describe('headerClosure', () => {
  const wheel = new Map<string, string>([
    ['tensorflow/c/c_api.h', '#include "tensorflow/c/tf_status.h"\n#include <stdint.h>\n'],
    ['tensorflow/c/tf_status.h', '#include "xla/tsl/c/tsl_status.h"\n'],
    ['xla/tsl/c/tsl_status.h', '// leaf\n'],
    ['tensorflow/c/eager/c_api.h', '#include "tensorflow/c/c_api.h"\n'],
    ['tensorflow/core/framework/op.h', '// never included\n'],
  ]);
  const read = async (paths: readonly string[]) => new Map(paths.map((p) => [p, wheel.get(p)!]));

  it('follows #include lines from the sources through the wheel, and only those', async () => {
    const sources = ['#include "tensorflow/c/eager/c_api.h"\n#include "utils.h"\n#include <node_api.h>\n'];
    expect(await headerClosure(sources, new Set(wheel.keys()), read)).toEqual([
      'tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h', 'tensorflow/c/tf_status.h', 'xla/tsl/c/tsl_status.h',
    ]);
  });

  it('reads include lines with either delimiter and with spaces after #', () => {
    expect(includesOf('#include "a.h"\n#  include <b/c.h>\n// #include "not-at-line-start.h"\nint x; #include "d.h"\n')).toEqual(['a.h', 'b/c.h']);
  });
});
