import sharp from 'sharp';
import { processImage, sniffImageType } from '../src/app';

describe('image checks', () => {
  it('tells the real type from the magic bytes', async () => {
    const img = sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } });
    expect(sniffImageType(await img.clone().jpeg().toBuffer())).toBe('image/jpeg');
    expect(sniffImageType(await img.clone().png().toBuffer())).toBe('image/png');
    expect(sniffImageType(await img.clone().webp().toBuffer())).toBe('image/webp');
    expect(sniffImageType(await img.clone().gif().toBuffer())).toBeNull();
    expect(sniffImageType(Buffer.from('%PDF-1.7\n'))).toBeNull();
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
  });

  it('drops every metadata block, keeps the photo upright and makes a thumbnail', async () => {
    // 200x100 pixels stored sideways: EXIF orientation 6 means "rotate 90° clockwise to view".
    const input = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExifMerge({
        IFD0: { Artist: 'someone' },
        IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '33/1 51/1 0/1' },
      })
      .toBuffer();
    expect((await sharp(input).metadata()).orientation).toBe(6);
    const out = await processImage(input, 'image/jpeg', 64);
    const meta = await sharp(out.image).metadata();
    expect({ w: out.width, h: out.height }).toEqual({ w: 100, h: 200 });
    expect(meta).toMatchObject({ format: 'jpeg', width: 100, height: 200 });
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(await sharp(out.thumb).metadata()).toMatchObject({ format: 'webp', width: 32, height: 64 });

    const png = await sharp({ create: { width: 10, height: 10, channels: 4, background: '#fff0' } })
      .png()
      .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '1/1 2/1 3/1' } })
      .toBuffer();
    expect((await sharp(png).metadata()).exif).toBeDefined();
    const cleanPng = await processImage(png, 'image/png', 64);
    expect((await sharp(cleanPng.image).metadata()).exif).toBeUndefined();
  });

  it('refuses bytes that start like an image but do not decode', async () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    await expect(processImage(broken, 'image/jpeg', 64)).rejects.toThrow();
  });
});
