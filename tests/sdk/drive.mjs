// Drives Tiledesk's own JavaScript SDK (@tiledesk/tiledesk-client) against a leads server,
// the way a service written for Tiledesk calls it, and checks every answer.
// Usage: node drive.mjs, with LEADS_BASE_URL, LEADS_EMAIL, LEADS_PASSWORD, LEADS_PROJECT and
// LEADS_LEAD_ID in the environment. Exits non-zero, saying which step failed, on any mismatch.
import assert from 'node:assert/strict';
import sdk from '@tiledesk/tiledesk-client';

const { TiledeskClient } = sdk;
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const APIURL = env('LEADS_BASE_URL');
const projectId = env('LEADS_PROJECT');
const leadId = env('LEADS_LEAD_ID');

const signin = () =>
  new Promise((resolve, reject) =>
    TiledeskClient.authEmailPassword('__APIKEY__', env('LEADS_EMAIL'), env('LEADS_PASSWORD'),
      { APIURL }, (err, body) => (err ? reject(err) : resolve(body))));

async function step(name, run) {
  try {
    return await run();
  } catch (error) {
    const detail = error?.response
      ? `HTTP ${error.response.status} ${JSON.stringify(error.response.data)}`
      : error?.stack ?? String(error);
    console.error(`step "${name}" failed: ${detail}`);
    process.exit(1);
  }
}

const auth = await step('authEmailPassword', async () => {
  const body = await signin();
  assert.equal(body.success, true);
  assert.match(body.token, /^JWT /);
  assert.equal(body.user.email.toLowerCase(), env('LEADS_EMAIL').toLowerCase());
  return body;
});
const client = new TiledeskClient({ APIKEY: '__APIKEY__', APIURL, projectId, token: auth.token });

await step('getLeadById', async () => {
  const lead = await client.getLeadById(leadId);
  assert.equal(lead._id, leadId);
  assert.equal(lead.id_project, projectId);
});

await step('updateLeadData', async () => {
  const lead = await client.updateLeadData(leadId, 'andrea@sdk.example', 'Andrea SDK', { plan: 'gold' });
  assert.equal(lead.email, 'andrea@sdk.example');
  assert.equal(lead.fullname, 'Andrea SDK');
  assert.deepEqual(lead.attributes, { plan: 'gold' });
});

await step('updateLead with native fields, attributes and tags', async () => {
  const lead = await client.updateLead(leadId,
    { phone: '+39 06 123', company: 'Frontiere21', zipcode: '00144' },
    { plan: 'platinum', seats: 3 }, ['vip', 'newsletter']);
  assert.equal(lead.phone, '+39 06 123');
  assert.equal(lead.zipcode, '00144');
  assert.deepEqual(lead.attributes, { plan: 'platinum', seats: 3 });
  assert.deepEqual(lead.tags, ['vip', 'newsletter']);
  assert.equal(lead.fullname, 'Andrea SDK', 'a field left out keeps its value');
});

await step('updateLead with [] clears the tags', async () => {
  const lead = await client.updateLead(leadId, {}, { plan: 'platinum' }, []);
  assert.deepEqual(lead.tags ?? [], []);
  const stored = await client.getLeadById(leadId);
  assert.deepEqual(stored.tags ?? [], []);
  assert.deepEqual(stored.attributes, { plan: 'platinum' });
});

await step('updateLead with undefined attributes and tags keeps them', async () => {
  await client.updateLead(leadId, {}, { kept: true }, ['kept']);
  const lead = await client.updateLead(leadId, { company: 'F21' }, undefined, undefined);
  assert.deepEqual(lead.tags, ['kept']);
  assert.deepEqual(lead.attributes, { kept: true });
  assert.equal(lead.company, 'F21');
});

const final = await step('updateLead with null clears fields, attributes and tags', async () => {
  const lead = await client.updateLead(leadId, { phone: null, company: null }, null, null);
  assert.equal(lead.phone, undefined);
  assert.equal(lead.company, undefined);
  assert.deepEqual(lead.attributes, {});
  assert.deepEqual(lead.tags ?? [], []);
  assert.equal(lead.fullname, 'Andrea SDK');
  return client.getLeadById(leadId);
});

console.log(JSON.stringify(final));
