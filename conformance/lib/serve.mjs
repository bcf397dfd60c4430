// Serve a fetch-style handler `(Request) => Promise<Response>` on 127.0.0.1 with node:http,
// streaming the Response body to the socket chunk by chunk (no buffering), the way a
// TanStack Start / Next.js / Hono route would.

import http from 'node:http'
import { Readable } from 'node:stream'

export async function serveFetchHandler(handler) {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks = []
      for await (const c of req) chunks.push(c)
      const url = `http://${req.headers.host}${req.url}`
      const request = new Request(url, {
        method: req.method,
        headers: req.headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
      })
      let response
      try {
        response = await handler(request)
      } catch (thrown) {
        // chatParamsFromRequest throws a Response (400) on an invalid body.
        if (thrown instanceof Response) response = thrown
        else throw thrown
      }
      const headers = {}
      response.headers.forEach((v, k) => (headers[k] = v))
      res.writeHead(response.status, headers)
      if (response.body) {
        Readable.fromWeb(response.body).pipe(res)
      } else {
        res.end()
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(error?.stack ?? error))
    }
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
