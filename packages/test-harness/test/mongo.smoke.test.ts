import { Schema, type Connection } from 'mongoose';
import { connectTestDatabase } from '@strata/test-harness';

interface Widget {
  name: string;
  size: number;
  tags: string[];
}

describe(`smoke: MongoDB-protocol server (${process.env['MONGO_SERVER_NAME'] ?? 'unknown'})`, () => {
  let connection: Connection;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ connection, drop } = await connectTestDatabase());
  });

  afterAll(async () => {
    await drop();
  });

  it('connects with mongoose and answers a ping and buildInfo', async () => {
    const admin = connection.db?.admin();
    await expect(admin?.ping()).resolves.toMatchObject({ ok: 1 });
    const info = await admin?.buildInfo();
    process.stdout.write(
      `[mongo smoke] server: ${process.env['MONGO_SERVER_NAME'] ?? ''}; buildInfo.version ${String(info?.['version'])}\n`,
    );
    expect(typeof info?.['version']).toBe('string');
  });

  it('round-trips a document and rejects a duplicate on a unique index with E11000', async () => {
    const Widgets = connection.model<Widget>(
      'Widget',
      new Schema<Widget>({ name: { type: String, required: true, unique: true }, size: Number, tags: [String] }),
    );
    await Widgets.init(); // builds the unique index
    const created = await Widgets.create({ name: 'gear', size: 3, tags: ['a', 'b'] });
    const found = await Widgets.findById(created._id).lean();
    expect(found).toMatchObject({ name: 'gear', size: 3, tags: ['a', 'b'] });

    const duplicate = await Widgets.create({ name: 'gear', size: 4, tags: [] }).catch((error: unknown) => error);
    expect(duplicate).toMatchObject({ code: 11000 });
    expect(String(duplicate)).toMatch(/E11000/);
    await expect(Widgets.countDocuments({ name: 'gear' })).resolves.toBe(1);

    const updated = await Widgets.findOneAndUpdate(
      { name: 'gear' },
      { $inc: { size: 1 } },
      { returnDocument: 'after' },
    ).lean();
    expect(updated?.size).toBe(4);
  });
});
