import { renderSandboxPage, scriptLiteral } from './sandbox-landing-page';

describe('the Sandbox page', () => {
  const hostile = '</script><script>alert(1)</script><!-- & \u2028';

  it('cannot be broken out of by a value in its settings', () => {
    const html = renderSandboxPage({ document: hostile, variables: { x: hostile }, headers: { h: hostile } }, 'n0nce');
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the CDN script's and the inline one's own
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('alert(1)</script>');
  });

  it('escapes into JSON that still reads back the same', () => {
    const literal = scriptLiteral({ document: hostile });
    expect(literal).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(literal)).toEqual({ document: hostile });
  });
});
