// A forward proxy on loopback that serves both forms clients use: absolute-URI requests and
// CONNECT tunnels. It records what went through it, so a test can tell a proxied request.
import * as http from 'node:http'
import * as net from 'node:net'

export class ForwardProxy {
  readonly seen: string[] = []
  url = ''
  private readonly server = http.createServer((req, res) => {
    this.seen.push(req.url!)
    const u = new URL(req.url!)
    const upstream = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers)
      r.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })

  constructor() {
    this.server.on('connect', (req, socket, head) => {
      this.seen.push(`CONNECT ${req.url}`)
      const [host, port] = req.url!.split(':')
      const target = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        target.write(head)
        target.pipe(socket)
        socket.pipe(target)
      })
      target.on('error', () => socket.destroy())
      socket.on('error', () => target.destroy())
    })
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`
    return this
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((r) => this.server.close(() => r()))
  }
}
