use glidepath_image::*;
