export * from './glidePipelines'
