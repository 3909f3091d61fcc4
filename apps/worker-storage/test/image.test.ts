import sharp from 'sharp';
import { processImage, sniffImageType } from '../src/app';
import { stripJpegMetadata } from '../src/jpeg';

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
    expect(await sharp(out.thumb).metadata()).toMatchObject({ format: 'jpeg', width: 32, height: 64 });

    const png = await sharp({ create: { width: 10, height: 10, channels: 4, background: '#fff0' } })
      .png()
      .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '1/1 2/1 3/1' } })
      .toBuffer();
    expect((await sharp(png).metadata()).exif).toBeDefined();
    const cleanPng = await processImage(png, 'image/png', 64);
    expect((await sharp(cleanPng.image).metadata()).exif).toBeUndefined();
  });

  it('strips an upright JPEG losslessly: EXIF, XMP and comments out, image data untouched', async () => {
    const plain = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#3366cc' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'PhoneCo' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '37/1 33/1 59/1' } })
      .toBuffer();
    const segment = (marker: number, text: string) => {
      const payload = Buffer.from(text, 'latin1');
      const head = Buffer.from([0xff, marker, 0, 0]);
      head.writeUInt16BE(payload.length + 2, 2);
      return Buffer.concat([head, payload]);
    };
    // Add an XMP packet with a location and a comment right after SOI.
    const input = Buffer.concat([
      plain.subarray(0, 2),
      segment(
        0xe1,
        'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>37,33N</exif:GPSLatitude></x:xmpmeta>',
      ),
      segment(0xfe, 'shot at home'),
      plain.subarray(2),
    ]);
    const out = await processImage(input, 'image/jpeg', 16);
    expect(out.image.includes(Buffer.from('GPSLatitude'))).toBe(false);
    expect(out.image.includes(Buffer.from('shot at home'))).toBe(false);
    expect(out.image.includes(Buffer.from('PhoneCo'))).toBe(false);
    expect((await sharp(out.image).metadata()).exif).toBeUndefined();
    // Same compressed data: the tail from the first scan on is byte-identical, and the pixels match.
    const sos = (b: Buffer) => b.subarray(b.indexOf(Buffer.from([0xff, 0xda])));
    expect(sos(out.image).equals(sos(input))).toBe(true);
    const px = (b: Buffer) => sharp(b).raw().toBuffer();
    expect((await px(out.image)).equals(await px(input))).toBe(true);
    expect({ w: out.width, h: out.height }).toEqual({ w: 48, h: 32 });
    expect(() => stripJpegMetadata(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff]))).toThrow(
      /bad segment length/,
    );
  });

  it('refuses bytes that start like an image but do not decode', async () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    await expect(processImage(broken, 'image/jpeg', 64)).rejects.toThrow();
  });
});
