// Upstream (fake Anthropic) scripts and tool definitions shared by the era A/B/C servers.
// Tool execute functions are deterministic so recordings only differ in ids/timestamps
// that TanStack itself generates.

export const MODEL = 'claude-sonnet-4-5'

export const toolSchemas = {
  get_weather: {
    type: 'object',
    properties: { location: { type: 'string' } },
    required: ['location'],
  },
  get_time: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
  send_email: {
    type: 'object',
    properties: { to: { type: 'string' }, subject: { type: 'string' } },
    required: ['to', 'subject'],
  },
  lookup_stock: {
    type: 'object',
    properties: { symbol: { type: 'string' } },
    required: ['symbol'],
  },
  pick_color: {
    type: 'object',
    properties: { palette: { type: 'string' } },
    required: ['palette'],
  },
}

export const toolImpls = {
  get_weather: async ({ location }) => ({ location, tempC: 18, conditions: 'sunny' }),
  get_time: async ({ city }) => ({ city, time: '21:00' }),
  send_email: async ({ to }) => ({ sent: true, to }),
  lookup_stock: async ({ symbol }) => {
    throw new Error(`stock service unavailable for ${symbol}`)
  },
}

const toolsTurn = {
  id: 'msg_fake_tools_1',
  blocks: [
    { type: 'text', chunks: ['Let me check', ' both.'] },
    { type: 'tool_use', id: 'toolu_weather_01', name: 'get_weather', chunks: ['{"loca', 'tion": "Pa', 'ris"}'] },
    { type: 'tool_use', id: 'toolu_time_02', name: 'get_time', chunks: ['{"city"', ': "Tokyo"}'] },
  ],
  stopReason: 'tool_use',
  usage: { input_tokens: 120, output_tokens: 40 },
}

const toolsFollowUp = {
  id: 'msg_fake_tools_2',
  blocks: [{ type: 'text', chunks: ['Paris is 18°C', ' and sunny;', ' in Tokyo it is 21:00.'] }],
  stopReason: 'end_turn',
  usage: { input_tokens: 200, output_tokens: 18 },
}

export const scripts = {
  text: [
    {
      id: 'msg_fake_text_1',
      blocks: [{ type: 'text', chunks: ['Hello', ' from', ' TanStack', '!'] }],
      stopReason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 5 },
    },
  ],
  tools: [toolsTurn, toolsFollowUp],
  approval: [
    {
      id: 'msg_fake_approval_1',
      blocks: [
        { type: 'text', chunks: ["I'll send", ' that email.'] },
        {
          type: 'tool_use',
          id: 'toolu_email_01',
          name: 'send_email',
          chunks: ['{"to": "ada@example.com", ', '"subject": "Hi"}'],
        },
      ],
      stopReason: 'tool_use',
      usage: { input_tokens: 80, output_tokens: 30 },
    },
  ],
  'client-tool': [
    {
      id: 'msg_fake_client_1',
      blocks: [
        { type: 'text', chunks: ['Please pick', ' a color.'] },
        { type: 'tool_use', id: 'toolu_color_01', name: 'pick_color', chunks: ['{"palette"', ': "warm"}'] },
      ],
      stopReason: 'tool_use',
      usage: { input_tokens: 60, output_tokens: 25 },
    },
  ],
  reasoning: [
    {
      id: 'msg_fake_reasoning_1',
      blocks: [
        {
          type: 'thinking',
          chunks: ['The user wants', ' a one-line', ' answer.'],
          signature: 'sig_fake_EqQBCkYIARgCIkA=',
        },
        { type: 'text', chunks: ['Forty', '-two.'] },
      ],
      stopReason: 'end_turn',
      usage: { input_tokens: 30, output_tokens: 22 },
    },
  ],
  error: [
    {
      id: 'msg_fake_error_1',
      blocks: [{ type: 'text', chunks: ['Partial ans', 'wer'] }],
      errorAfterBlocks: { type: 'overloaded_error', message: 'Overloaded' },
    },
  ],
  'tool-error': [
    {
      id: 'msg_fake_toolerr_1',
      blocks: [{ type: 'tool_use', id: 'toolu_stock_01', name: 'lookup_stock', chunks: ['{"symbol": "ACME"}'] }],
      stopReason: 'tool_use',
      usage: { input_tokens: 50, output_tokens: 15 },
    },
    {
      id: 'msg_fake_toolerr_2',
      blocks: [{ type: 'text', chunks: ['The stock service', ' is down right now.'] }],
      stopReason: 'end_turn',
      usage: { input_tokens: 90, output_tokens: 10 },
    },
  ],
  // Era B showcase: thinking (STEP_FINISHED deltas), cumulative content/args, executed tools
  // (TOOL_CALL_END.result), then more text.
  'thinking-tools': [
    {
      id: 'msg_fake_tt_1',
      blocks: [
        { type: 'thinking', chunks: ['Need weather', ' and time.'], signature: 'sig_fake_tt=' },
        ...toolsTurn.blocks,
      ],
      stopReason: 'tool_use',
      usage: { input_tokens: 120, output_tokens: 48 },
    },
    toolsFollowUp,
  ],
}
