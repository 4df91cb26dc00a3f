import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { startWebhookReceiver } from '../support/webhook-receiver.js'

const TOKEN = 'metrics-token-0123456789abcdef'

t.test('GET /metrics counts webhook deliveries by status and those waiting for an attempt', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer }
  } = await setUp(t, {
    worker: true,
    env: { METRICS_TOKEN: TOKEN, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '600' }
  })
  const receiver = await startWebhookReceiver(t)
  const failing = await startWebhookReceiver(t)
  failing.status = 500
  const integration = tenant.token('integration')
  await post(app, integration, '/v1/webhooks', { url: receiver.url, events: ['referral.created'] })
  await post(app, integration, '/v1/webhooks', { url: failing.url, events: ['referral.created'] })
  const scrape = async (): Promise<string> => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth(TOKEN) })
    t.equal(res.statusCode, 200)
    return res.body
  }
  t.match(await scrape(), /^waymark_webhook_due 0$/m, 'nothing due before any event')
  await post(app, referrer, '/v1/referrals', referralBody(await tenant.programme()))
  await waitUntil(
    async () => /^waymark_webhook_deliveries\{status="succeeded"\} 1$/m.test(await scrape()),
    20_000,
    'the delivery that succeeded is counted'
  )
  const text = await scrape()
  t.match(
    text,
    /^waymark_webhook_deliveries\{status="failed"\} 1$/m,
    'the refused one is failed, waiting for its retry'
  )
  t.match(text, /^waymark_webhook_due 1$/m, 'and due again later')
  t.match(text, /^waymark_metrics_source_up\{source="webhook_deliveries"\} 1$/m)
})
